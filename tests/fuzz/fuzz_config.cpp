// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the Yamaha RTX configuration loader (lexer, parser, templates, validation)
// and its printer. Invariants on every input:
//  - loading never crashes; it loads exactly when no diagnostic is an error, and diagnostics
//    come in line order and name lines of the input;
//  - a loaded configuration printed with its secrets and loaded again is the same
//    configuration, printing it again gives the same text, and the reload diff is empty;
//  - the masked print loads only when it holds no masked secret;
//  - what the dataplane takes from it (dataplane_settings) has at most 16 disjoint ascending
//    pool ranges that hold every pp's pool and fixed address and begin and end on such an
//    address, and every error names a line of the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/config/dataplane_settings.hpp"
#include "controlplane/config/diff.hpp"
#include "controlplane/config/loader.hpp"
#include "controlplane/config/printer.hpp"

using namespace l2tpgw::cp::config;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const LoadResult r = load_config(text);
  if (r.ok() == has_errors(r.diagnostics)) std::abort();
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  lines += 1;
  uint32_t prev = 0;
  for (const Diagnostic& d : r.diagnostics) {
    if (d.line < prev || d.line > lines || d.message.empty()) std::abort();
    prev = d.line;
  }
  if (!r.ok()) return 0;

  const Config& cfg = *r.config;
  const std::string printed = print_config(cfg, PrintOptions{false});
  const LoadResult again = load_config(printed);
  if (!again.ok() || !(*again.config == cfg)) std::abort();
  if (print_config(*again.config, PrintOptions{false}) != printed) std::abort();
  if (!diff_configs(cfg, *again.config).empty()) std::abort();

  const std::string masked = print_config(cfg);
  const bool has_mask = masked.find(kSecretMask) != std::string::npos;
  if (load_config(masked).ok() == has_mask) std::abort();

  const DataplaneSettings ds = dataplane_settings(cfg, Ipv4Prefix{Ipv4{0xcb007101}, 24});
  // Disjoint, ascending, at most the dataplane's ranges; every pool and fixed address inside
  // one; every range starts and ends on an address some pp hands out.
  if (ds.pools.size() > kDataplanePoolRanges) std::abort();
  for (size_t i = 0; i < ds.pools.size(); ++i) {
    if (ds.pools[i].last < ds.pools[i].first) std::abort();
    if (i > 0 && uint64_t{ds.pools[i].first.value} <= uint64_t{ds.pools[i - 1].last.value} + 1) std::abort();
  }
  std::vector<Ipv4Range> given;
  for (const auto& [id, pp] : cfg.pps) {
    for (const Ipv4Range& p : pp.remote_address.value.pool) given.push_back(p);
    if (const auto& a = pp.remote_address.value.address) given.push_back(Ipv4Range{*a, *a});
  }
  auto inside = [&](const Ipv4Range& g) {
    for (const Ipv4Range& r : ds.pools)
      if (!(g.first < r.first) && !(r.last < g.last)) return true;
    return false;
  };
  auto handed_out = [&](Ipv4 a) {
    for (const Ipv4Range& r : given)
      if (!(a < r.first) && !(r.last < a)) return true;
    return false;
  };
  for (const Ipv4Range& r : given)
    if (!inside(r)) std::abort();
  for (const Ipv4Range& r : ds.pools)
    if (!handed_out(r.first) || !handed_out(r.last)) std::abort();
  for (const std::string& e : ds.errors) {
    const unsigned long line = std::strtoul(e.c_str(), nullptr, 10);
    if (line == 0 || line > lines) std::abort();
  }
  return 0;
}
