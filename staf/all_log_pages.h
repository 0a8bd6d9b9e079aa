// SPDX-License-Identifier: Apache-2.0
// AllLogPages: the JSON document of get_all_log_pages (docs/ARCHITECTURE.md, "The path of a
// discovery log entry", step 4), measured before it is built and with each DC's "log-pages"
// array cached.
//
// Why a cache: a local user may call get_all_log_pages(true) in a loop, and serialising every
// entry of every DC is by far the largest part of the answer. A DC's array is the same for as
// long as its log page is, so it is kept per Dc::log_generation() and serialised again only
// after a fetch changed the page. The controller objects are not cached: the detailed form
// holds timers and operation counts that change between calls, and there is one per DC only.
//
// Why measured first: the document can exceed what the bus accepts (common/daemon/reply_size.h);
// its size is known from the pieces, so a too large answer is refused without building it.
// Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "staf/dc.h"

namespace stas::staf {

class AllLogPages {
 public:
  // The document for `dcs` (in that order), exactly as PythonJsonDumps() writes
  // [{"discovery-controller": <IdDict or Details>, "log-pages": [<AsDict>...]}, ...].
  // If it would be longer than `max_size` bytes, nothing is built: `text` stays empty.
  struct Answer {
    std::size_t size = 0;  // the document's length in bytes
    std::string text;      // the document, or empty when size > max_size
  };
  Answer Build(const std::vector<const Dc*>& dcs, bool detailed, std::size_t max_size);

  // How many "log-pages" arrays were serialised so far (the cache's misses), for tests.
  std::uint64_t page_builds() const { return page_builds_; }

 private:
  // The serialised "log-pages" array of `dc`, from the cache or built now.
  const std::string& PageJson(const Dc& dc);

  // By Dc::log_generation(); after each Build only the generations it used remain.
  std::unordered_map<std::uint64_t, std::string> pages_;
  std::uint64_t page_builds_ = 0;
};

}  // namespace stas::staf
