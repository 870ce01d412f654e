// The Win32 half of wincni_platform.h: windows.h and ISO C headers only. The whole file is skipped elsewhere.
#if defined(_WIN32)

#include "wincni_platform.h"

#endif
