// SPDX-License-Identifier: Apache-2.0
// One discovery log record as the controller sent it (struct nvmf_disc_log_entry, 1,024 bytes,
// little-endian, fixed-size string fields) made a RawLogEntry: integers in host order, strings
// cut at the first NUL and nothing else. Still untrusted: ValidateLogEntries() comes next.
// A file of its own so that the fuzz tier decodes exactly as NvmeKernelLibnvme does, without
// linking libnvme (only its type definitions are used). Pure, thread-safe.
#pragma once

#include <nvme/types.h>

#include "common/kernel/dlp_entry.h"

namespace stas {

RawLogEntry ToRawEntry(const nvmf_disc_log_entry& e);

}  // namespace stas
