// Replacing a file so that a reader, or the next run after a kill -9, sees
// the old contents or the new, never half of them: write <path>.tmp in the
// same directory, fsync it, rename it over <path>, fsync the directory.
// The temporary name is fixed: `synguard cleanup` removes a <path>.tmp that
// a killed writer left behind.
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace sg {

// The temporary file WriteFileAtomically writes before the rename.
std::string AtomicTempPath(const std::string& path);

// Replaces path with contents (mode 0666 less the umask, as a new file gets).
// The directory must exist. On failure path is unchanged and the temporary
// file removed.
Status WriteFileAtomically(const std::string& path, std::string_view contents);

}  // namespace sg
