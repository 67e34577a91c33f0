// SPDX-License-Identifier: Apache-2.0
// ConfigStore: load, diff and show the running configuration.
#include "controlplane/daemon/config_store.hpp"

#include "controlplane/config/diagnostic.hpp"
#include "controlplane/config/diff.hpp"
#include "controlplane/config/loader.hpp"
#include "controlplane/config/printer.hpp"

namespace l2tpgw::cp {

Reply ConfigStore::load(const std::string& path) {
  config::LoadResult r = config::load_config_file(path);
  std::string notes;
  for (const config::Diagnostic& d : r.diagnostics) notes += config::format_diagnostic(d, path) + "\n";
  if (!r.ok())
    return Reply{ReplyStatus::Error, notes + "load config: " + path + " not loaded; the running configuration is unchanged\n"};
  std::string text = notes;
  if (running_) {
    const config::ConfigDiff d = config::diff_configs(*running_, *r.config);
    text += d.empty() ? std::string("no change\n") : config::describe(d);
    if (!text.empty() && text.back() != '\n') text += '\n';
  } else {
    text += "loaded (no configuration was running)\n";
  }
  running_ = std::move(r.config);
  running_path_ = path;
  return Reply{ReplyStatus::Ok, text};
}

Reply ConfigStore::show() const {
  if (!running_) return Reply{ReplyStatus::Error, "show config: no configuration loaded (start with --config FILE or `load config FILE`)\n"};
  return Reply{ReplyStatus::Ok, "# " + running_path_ + "\n" + config::print_config(*running_)};
}

ConfigHooks ConfigStore::hooks(const std::string& path) {
  ConfigHooks h;
  h.show = [this] { return show(); };
  h.load = [this](const std::string& p) { return load(p); };
  h.path = path;
  return h;
}

}  // namespace l2tpgw::cp
