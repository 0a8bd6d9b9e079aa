// SPDX-License-Identifier: Apache-2.0
// LoadNvmeStasConf(): the files of nvme-stas.conf and its drop-in directory, read as the
// exclusion list is (exclusions.cc) but strictly: what exists and cannot be read is an error,
// since skipping it would silently drop the controllers it configures.
#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>

#include "common/atomic_file.h"
#include "common/config/nvme_stas_conf.h"
#include "common/dir_listing.h"
#include "common/str_util.h"

namespace stas {
namespace {

void AddError(Diagnostics* out, const std::string& file, std::string message) {
  out->push_back(Diagnostic{Severity::kError, file, 0, WithoutPathPrefix(file, message)});
}

// The drop-ins, in name order, at most kMaxNvmeStasConfDropIns.
std::vector<std::string> ListDropIns(const std::string& dir, Diagnostics* out) {
  Result<DirListing> listed = ListDirectory(dir);
  if (!listed) {
    if (listed.error().code != ENOENT)
      AddError(out, dir, listed.error().message);
    return {};
  }
  // More is an error: which names a partial listing gives is arbitrary.
  if (listed->truncated) {
    AddError(out, dir, "more than " + std::to_string(kMaxDirNames) + " entries; not read");
    return {};
  }
  std::vector<std::string> names;
  for (const std::string& name : listed->names) {
    if (std::filesystem::path(name).extension() == ".conf")
      names.push_back(dir + "/" + name);
  }
  if (names.size() > kMaxNvmeStasConfDropIns) {
    out->push_back(Diagnostic{
        Severity::kWarning, dir, 0,
        std::to_string(names.size()) + " drop-ins; only the first " +
            std::to_string(kMaxNvmeStasConfDropIns) + " in name order are read (from " +
            Printable(std::filesystem::path(names[kMaxNvmeStasConfDropIns]).filename().string()) +
            " on, ignored)"});
    names.resize(kMaxNvmeStasConfDropIns);
  }
  return names;
}

}  // namespace

LoadedNvmeStasConf LoadNvmeStasConf(const std::string& main_path) {
  Diagnostics load_errors;
  std::vector<IniDocument> docs;
  std::vector<std::string> read;
  std::vector<std::string> paths = ListDropIns(main_path + ".d", &load_errors);
  paths.insert(paths.begin(), main_path);
  for (const std::string& path : paths) {
    Result<std::string> text = ReadRegularFile(path, kMaxNvmeStasConfFileBytes);
    if (text) {
      docs.push_back(ParseIniText(*text, path));
      read.push_back(path);
      continue;
    }
    // Missing is nothing configured (a drop-in may also have gone since the listing).
    if (text.error().code != ENOENT)
      AddError(&load_errors, path, text.error().message);
    if (path == main_path)
      docs.push_back(ParseIniText("", path));  // ParseNvmeStasConf()'s first is the main file
  }
  LoadedNvmeStasConf out = ParseNvmeStasConf(docs);
  out.diagnostics.insert(out.diagnostics.begin(), load_errors.begin(), load_errors.end());
  if (out.conf) {
    if (std::any_of(load_errors.begin(), load_errors.end(),
                    [](const Diagnostic& d) { return d.severity == Severity::kError; })) {
      out.conf.reset();
    } else {
      out.conf->files = std::move(read);
    }
  }
  return out;
}

}  // namespace stas
