// SPDX-License-Identifier: Apache-2.0
#include "staf/all_log_pages.h"

#include <nlohmann/json.hpp>

#include "common/daemon/process_info.h"
#include "common/python_compat.h"

namespace stas::staf {
namespace {

// The text around the pieces, as json.dumps() separates them (", " and ": ").
constexpr std::string_view kDcOpen = "{\"discovery-controller\": ";
constexpr std::string_view kPagesKey = ", \"log-pages\": ";
constexpr std::string_view kDcClose = "}";
constexpr std::string_view kListSeparator = ", ";

}  // namespace

const std::string& AllLogPages::PageJson(const Dc& dc) {
  auto it = pages_.find(dc.log_generation());
  if (it != pages_.end())
    return it->second;
  nlohmann::ordered_json pages = nlohmann::ordered_json::array();
  for (const LogEntry& e : dc.log_pages())
    pages.push_back(DictJson(e.AsDict()));
  ++page_builds_;
  return pages_.emplace(dc.log_generation(), PythonJsonDumps(pages)).first->second;
}

AllLogPages::Answer AllLogPages::Build(const std::vector<const Dc*>& dcs, bool detailed,
                                       std::size_t max_size) {
  std::vector<std::string> ids;
  std::vector<const std::string*> pages;
  ids.reserve(dcs.size());
  pages.reserve(dcs.size());
  std::unordered_map<std::uint64_t, std::string> used;
  Answer answer;
  answer.size = 2;  // [ and ]
  for (const Dc* dc : dcs) {
    ids.push_back(PythonJsonDumps(DictJson(detailed ? dc->Details() : dc->IdDict())));
    pages.push_back(&PageJson(*dc));
    answer.size += kDcOpen.size() + ids.back().size() + kPagesKey.size() + pages.back()->size() +
                   kDcClose.size();
  }
  if (!dcs.empty())
    answer.size += kListSeparator.size() * (dcs.size() - 1);
  if (answer.size <= max_size) {
    answer.text.reserve(answer.size);
    answer.text += '[';
    for (std::size_t i = 0; i < dcs.size(); ++i) {
      if (i > 0)
        answer.text += kListSeparator;
      answer.text += kDcOpen;
      answer.text += ids[i];
      answer.text += kPagesKey;
      answer.text += *pages[i];
      answer.text += kDcClose;
    }
    answer.text += ']';
  }
  // Forget the pages of removed DCs and old generations.
  for (const Dc* dc : dcs) {
    auto it = pages_.find(dc->log_generation());
    if (it != pages_.end())
      used.insert(pages_.extract(it));
  }
  pages_ = std::move(used);
  return answer;
}

}  // namespace stas::staf
