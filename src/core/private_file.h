// Files that hold secrets (root keys, KDF parameters, tokens, exported credentials): written so that
// no one else can read them at any moment, and so that a crash leaves either the old file or the
// new one, never a partial mix.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace coffer {

// Replaces `path` with `content`, mode 0600, atomically and durably: a temporary file in the same
// directory is written and fsynced, renamed over `path`, and the directory is fsynced so the rename
// survives a power cut. A symlink at `path` is replaced, never followed. The caller wipes `content`.
Status WritePrivateFile(const std::string& path, std::string_view content);

// Deletes what a crash between WritePrivateFile's write and rename left beside `path`: files
// named `path`.tmp-XXXXXX (six characters, the only shape it creates). Call it only while no one
// else can be writing `path` (under the data directory's lock): they hold secrets, and a crash
// is the only reason one outlives its call.
void RemoveAbandonedTemporaries(const std::string& path);

// fsyncs the directory holding `path`, so that a file just created or renamed there survives a
// power cut (fsyncing the file alone does not make its name durable). False when it failed.
bool SyncParentDirectory(const std::string& path);

}  // namespace coffer
