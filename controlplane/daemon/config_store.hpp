// SPDX-License-Identifier: Apache-2.0
// ConfigStore: the running configuration of the controlplane, behind `show config` and
// `load config` (and SIGHUP).
#pragma once

#include <optional>
#include <string>

#include "controlplane/cli/commands.hpp"
#include "controlplane/config/model.hpp"

namespace l2tpgw::cp {

// Owned by the event loop thread. A load either replaces the running configuration entirely
// or, on any error, changes nothing (as a router refuses a broken file): the reply names each
// error as FILE:LINE: message. Secrets never appear in a reply (the printer masks them and
// diagnostics never quote them).
class ConfigStore {
 public:
  // `load config FILE`: the reply lists warnings and what changed against the running
  // configuration (config::describe of the diff), or the errors.
  Reply load(const std::string& path);
  // `show config`: the running configuration, expanded, secrets masked.
  Reply show() const;

  const std::optional<config::Config>& running() const { return running_; }
  // The CLI hooks bound to this store; `path` is the --config file.
  ConfigHooks hooks(const std::string& path);

 private:
  std::optional<config::Config> running_;
  std::string running_path_;
};

}  // namespace l2tpgw::cp
