// The platform layer on Windows: the Win32 implementation of wincni_platform.h. Only windows.h and ISO C headers, so
// it compiles the same under mingw (make windows-check, run under wine) and under clang with the Windows SDK (Swift on
// Windows). Strings cross the header as UTF-8 and are converted to UTF-16 at each Win32 call.
#if defined(_WIN32)

#include <windows.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wincni_platform.h"

// MARK: failure texts

// Writes "<what>: <Win32 message> (Win32 error N)" into failure, truncated to capacity.
static void describe(char *failure, int32_t capacity, const char *what, DWORD code) {
    if (failure == NULL || capacity <= 0) return;
    wchar_t message[256];
    DWORD length = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code, 0, message,
                                  256, NULL);
    while (length > 0 && (message[length - 1] == L'\r' || message[length - 1] == L'\n' || message[length - 1] == L' ' ||
                          message[length - 1] == L'.')) {
        length--;
    }
    char text[512];
    int text_length = length > 0 ? WideCharToMultiByte(CP_UTF8, 0, message, (int)length, text, sizeof text - 1, NULL, NULL)
                                 : 0;
    text[text_length > 0 ? text_length : 0] = 0;
    if (text_length > 0) {
        snprintf(failure, (size_t)capacity, "%s: %s (Win32 error %lu)", what, text, (unsigned long)code);
    } else {
        snprintf(failure, (size_t)capacity, "%s: Win32 error %lu", what, (unsigned long)code);
    }
}

// MARK: HCN loader

static const char *const hcn_entry_names[WINCNI_HCN_ENTRY_COUNT] = {
    "HcnEnumerateNetworks", "HcnCreateNetwork", "HcnOpenNetwork", "HcnModifyNetwork",
    "HcnQueryNetworkProperties", "HcnDeleteNetwork", "HcnCloseNetwork",
    "HcnEnumerateEndpoints", "HcnCreateEndpoint", "HcnOpenEndpoint", "HcnModifyEndpoint",
    "HcnQueryEndpointProperties", "HcnDeleteEndpoint", "HcnCloseEndpoint",
    "HcnEnumerateNamespaces", "HcnCreateNamespace", "HcnOpenNamespace", "HcnModifyNamespace",
    "HcnQueryNamespaceProperties", "HcnDeleteNamespace", "HcnCloseNamespace",
    "HNSCall", "CoTaskMemFree",
};

// Which DLL each entry comes from: 0 computenetwork.dll, 1 vmcompute.dll, 2 ole32.dll.
static int hcn_entry_library(int index) {
    if (index == WINCNI_HCN_ENTRY_COUNT - 1) return 2;
    if (index == WINCNI_HCN_ENTRY_COUNT - 2) return 1;
    return 0;
}

int32_t wincni_hcn_load(void *entries[WINCNI_HCN_ENTRY_COUNT], char *failure, int32_t failure_capacity) {
    static const wchar_t *const libraries[3] = {L"computenetwork.dll", L"vmcompute.dll", L"ole32.dll"};
    static const char *const library_names[3] = {"computenetwork.dll", "vmcompute.dll", "ole32.dll"};
    HMODULE modules[3];
    for (int i = 0; i < 3; i++) {
        // System32 only: a DLL of the same name next to the plugin or in the working directory is never loaded.
        modules[i] = LoadLibraryExW(libraries[i], NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
        if (modules[i] == NULL) {
            DWORD code = GetLastError();
            char what[160];
            snprintf(what, sizeof what, "%s could not be loaded from System32 (HNS v2 needs Windows Server 2019 or later)",
                     library_names[i]);
            describe(failure, failure_capacity, what, code);
            return -1;
        }
    }
    for (int i = 0; i < WINCNI_HCN_ENTRY_COUNT; i++) {
        int library = hcn_entry_library(i);
        FARPROC address = GetProcAddress(modules[library], hcn_entry_names[i]);
        if (address == NULL) {
            DWORD code = GetLastError();
            char what[160];
            snprintf(what, sizeof what, "%s has no %s (this Windows build is too old for HNS v2)",
                     library_names[library], hcn_entry_names[i]);
            describe(failure, failure_capacity, what, code);
            return -1;
        }
        // A function pointer through void *: what GetProcAddress returns is a code address either way.
        memcpy(&entries[i], &address, sizeof address);
    }
    return 0;
}

#endif
