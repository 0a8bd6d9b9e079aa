// SPDX-License-Identifier: Apache-2.0
// How the configuration readers (stafd.conf/stacd.conf, nvme-stas 3.x's nvme-stas.conf) report
// problems: Diagnostics naming the file and line, with every quoted value printable and never
// a secret.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "common/diagnostic.h"

namespace stas {

// Appends the problems of one file to a Diagnostics list, counting the errors.
class ConfigReporter {
 public:
  ConfigReporter(std::string file, Diagnostics* out) : file_(std::move(file)), out_(out) {}
  void Warn(int line, std::string msg) { Add(Severity::kWarning, line, std::move(msg)); }
  void Error(int line, std::string msg) { Add(Severity::kError, line, std::move(msg)); }
  void Add(Severity s, int line, std::string msg) {
    errors_ += s == Severity::kError ? 1 : 0;
    out_->push_back(Diagnostic{s, file_, line, std::move(msg)});
  }
  const std::string& file() const { return file_; }
  std::size_t errors() const { return errors_; }

 private:
  std::string file_;
  Diagnostics* out_;
  std::size_t errors_ = 0;
};

// Every value a configuration message quotes goes through here: in double quotes, printable,
// and never a secret.
std::string QuoteValue(std::string_view s);

}  // namespace stas
