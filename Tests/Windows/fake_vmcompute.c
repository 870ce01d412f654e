// A fake vmcompute.dll exporting the one v1 entry point the plugin uses, HNSCall (research/hns-api.md §1.4). mingw
// ships no header for it, so the prototype below is the one hcsshim binds; the loader test calls it through the
// function table's type. It answers HNS's JSON envelope in a CoTaskMemAlloc'd string:
// {"Output":{"Major":..,"Minor":..},"Success":true} for GET /globals/version, and {"Success":false,"Error":"..."}
// with an HRESULT for anything else.
#if defined(_WIN32)

#include <windows.h>
#include <objbase.h>
#include <string.h>
#include <wchar.h>

HRESULT WINAPI HNSCall(PCWSTR Method, PCWSTR Path, PCWSTR Request, PWSTR *Response);

static PWSTR task_string(const wchar_t *text) {
    size_t bytes = (wcslen(text) + 1) * sizeof(WCHAR);
    PWSTR out = CoTaskMemAlloc(bytes);
    if (out != NULL) memcpy(out, text, bytes);
    return out;
}

HRESULT WINAPI HNSCall(PCWSTR Method, PCWSTR Path, PCWSTR Request, PWSTR *Response) {
    if (Response == NULL || Method == NULL || Path == NULL) return E_INVALIDARG;
    *Response = NULL;
    if (wcscmp(Method, L"GET") == 0 && wcscmp(Path, L"/globals/version") == 0) {
        if (Request != NULL && Request[0] != 0) {
            *Response = task_string(L"{\"Success\":false,\"Error\":\"The parameter is incorrect. \"}");
            return E_INVALIDARG;
        }
        *Response = task_string(L"{\"Output\":{\"Major\":15,\"Minor\":4},\"Success\":true}");
        return *Response == NULL ? E_OUTOFMEMORY : S_OK;
    }
    *Response = task_string(L"{\"Success\":false,\"Error\":\"Element not found. \"}");
    return (HRESULT)0x80070490L;  // HRESULT_FROM_WIN32(ERROR_NOT_FOUND)
}

#endif
