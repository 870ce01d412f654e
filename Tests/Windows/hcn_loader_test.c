// The HCN loader under wine (make windows-check): wincni_hcn_load fills the function table from the fake
// computenetwork.dll and vmcompute.dll installed in the prefix's system32 and from wine's ole32.dll, and this test
// drives every entry through the table, in HCNFunctionTable's member order. The entry types come from mingw's
// computenetwork.h, so the table is called with the real signatures.
//   hcn_loader_test            fakes in system32 (and a planted copy next to the exe): all must load from system32
//   hcn_loader_test planted    fakes only next to the exe: loading must fail
//   hcn_loader_test old        a computenetwork.dll in system32 without HcnEnumerateNamespaces: loading must fail
#if defined(_WIN32)

#include <windows.h>
#include <computenetwork.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "wincni_platform.h"

typedef HRESULT(WINAPI *HNSCallFunction)(PCWSTR, PCWSTR, PCWSTR, PWSTR *);
typedef void(WINAPI *FreeFunction)(void *);
typedef uint32_t(WINAPI *HandleCountFunction)(void);

// HCNFunctionTable's member order (Sources/HCN/HCNFunctionTable.swift).
static const char *const entry_names[] = {
    "HcnEnumerateNetworks", "HcnCreateNetwork", "HcnOpenNetwork", "HcnModifyNetwork",
    "HcnQueryNetworkProperties", "HcnDeleteNetwork", "HcnCloseNetwork",
    "HcnEnumerateEndpoints", "HcnCreateEndpoint", "HcnOpenEndpoint", "HcnModifyEndpoint",
    "HcnQueryEndpointProperties", "HcnDeleteEndpoint", "HcnCloseEndpoint",
    "HcnEnumerateNamespaces", "HcnCreateNamespace", "HcnOpenNamespace", "HcnModifyNamespace",
    "HcnQueryNamespaceProperties", "HcnDeleteNamespace", "HcnCloseNamespace",
    "HNSCall", "CoTaskMemFree",
};
static const wchar_t *const entry_modules[] = {
    L"computenetwork.dll", L"computenetwork.dll", L"computenetwork.dll", L"computenetwork.dll",
    L"computenetwork.dll", L"computenetwork.dll", L"computenetwork.dll",
    L"computenetwork.dll", L"computenetwork.dll", L"computenetwork.dll", L"computenetwork.dll",
    L"computenetwork.dll", L"computenetwork.dll", L"computenetwork.dll",
    L"computenetwork.dll", L"computenetwork.dll", L"computenetwork.dll", L"computenetwork.dll",
    L"computenetwork.dll", L"computenetwork.dll", L"computenetwork.dll",
    L"vmcompute.dll", L"ole32.dll",
};

static int passed, failed;
static uint8_t driven[WINCNI_HCN_ENTRY_COUNT];
static FreeFunction task_free;

#define CHECK(condition, ...)                                                  \
    do {                                                                       \
        if (condition) {                                                       \
            passed++;                                                          \
        } else {                                                               \
            failed++;                                                          \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                        \
            printf(__VA_ARGS__);                                               \
            printf("\n");                                                      \
        }                                                                      \
    } while (0)

// Takes an out-string: returns an ASCII copy (enough for these JSON documents) and frees the original with the
// loaded CoTaskMemFree, as the Swift side does.
static char *take(PWSTR *text) {
    static char copies[16][4096];
    static int next;
    char *copy = copies[next++ % 16];
    copy[0] = 0;
    if (*text != NULL) {
        size_t i = 0;
        for (; (*text)[i] != 0 && i < 4095; i++) copy[i] = (*text)[i] < 128 ? (char)(*text)[i] : '?';
        copy[i] = 0;
        task_free(*text);
        driven[WINCNI_HCN_ENTRY_COUNT - 1] = 1;
        *text = NULL;
    }
    return copy;
}

// The directory part of a module's file name, lower-cased, without the trailing separator.
static void module_directory(HMODULE module, wchar_t *out, DWORD capacity) {
    DWORD length = GetModuleFileNameW(module, out, capacity);
    while (length > 0 && out[length - 1] != L'\\') length--;
    out[length > 0 ? length - 1 : 0] = 0;
    CharLowerW(out);
}

static int failure_run(void) {
    void *entries[WINCNI_HCN_ENTRY_COUNT];
    memset(entries, 0xAB, sizeof entries);
    char failure[512] = "";
    int32_t result = wincni_hcn_load(entries, failure, (int32_t)sizeof failure);
    CHECK(result == ERROR_MOD_NOT_FOUND, "loading must fail with error 126 when computenetwork.dll is only next to "
          "the exe, not %ld", (long)result);
    CHECK(strcmp(failure, "computenetwork.dll!") == 0, "the failure names the DLL: %s", failure);
    for (int i = 0; i < WINCNI_HCN_ENTRY_COUNT; i++) CHECK(entries[i] == NULL, "entry %d set after a failure", i);
    CHECK(GetModuleHandleW(L"computenetwork.dll") == NULL, "a computenetwork.dll was mapped into the process");
    printf("planted DLL refused: %s (Win32 error %ld)\n", failure, (long)result);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

// An older computenetwork.dll that lacks one export: the loader names it and hands out no entry at all.
static int old_library_run(void) {
    void *entries[WINCNI_HCN_ENTRY_COUNT];
    memset(entries, 0xAB, sizeof entries);
    char failure[512] = "";
    int32_t result = wincni_hcn_load(entries, failure, (int32_t)sizeof failure);
    CHECK(result == ERROR_PROC_NOT_FOUND, "a missing export must fail with error 127, not %ld", (long)result);
    CHECK(strcmp(failure, "computenetwork.dll!HcnEnumerateNamespaces") == 0, "the failure names the export: %s",
          failure);
    for (int i = 0; i < WINCNI_HCN_ENTRY_COUNT; i++) CHECK(entries[i] == NULL, "entry %d set after a failure", i);
    printf("old computenetwork.dll refused: %s (Win32 error %ld)\n", failure, (long)result);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "planted") == 0) return failure_run();
    if (argc > 1 && strcmp(argv[1], "old") == 0) return old_library_run();

    void *entries[WINCNI_HCN_ENTRY_COUNT];
    memset(entries, 0, sizeof entries);
    char failure[512] = "";
    int32_t result = wincni_hcn_load(entries, failure, (int32_t)sizeof failure);
    CHECK(result == 0, "wincni_hcn_load failed: %s (Win32 error %ld)", failure, (long)result);
    if (result != 0) {
        printf("%d passed, %d failed\n", passed, failed);
        return 1;
    }

    // Every entry is the named export of the named module, and each module came from system32.
    wchar_t system[MAX_PATH];
    GetSystemDirectoryW(system, MAX_PATH);
    CharLowerW(system);
    for (int i = 0; i < WINCNI_HCN_ENTRY_COUNT; i++) {
        HMODULE module = GetModuleHandleW(entry_modules[i]);
        CHECK(module != NULL, "%ls is not loaded", entry_modules[i]);
        if (module == NULL) continue;
        void *expected = (void *)GetProcAddress(module, entry_names[i]);
        CHECK(entries[i] == expected && expected != NULL, "entry %d is not %ls!%s", i, entry_modules[i],
              entry_names[i]);
        wchar_t directory[MAX_PATH];
        module_directory(module, directory, MAX_PATH);
        CHECK(wcscmp(directory, system) == 0, "%ls was loaded from %ls, not %ls", entry_modules[i], directory,
              system);
    }

    // Calling through a table in the wrong order would call functions with the wrong arguments: stop here.
    if (failed > 0) {
        printf("the loaded table is wrong; its entries are not called\n");
        printf("%d passed, %d failed\n", passed, failed);
        return 1;
    }

    __typeof__(&HcnEnumerateNetworks) enumerate_networks = (__typeof__(&HcnEnumerateNetworks))entries[0];
    __typeof__(&HcnCreateNetwork) create_network = (__typeof__(&HcnCreateNetwork))entries[1];
    __typeof__(&HcnOpenNetwork) open_network = (__typeof__(&HcnOpenNetwork))entries[2];
    __typeof__(&HcnModifyNetwork) modify_network = (__typeof__(&HcnModifyNetwork))entries[3];
    __typeof__(&HcnQueryNetworkProperties) query_network = (__typeof__(&HcnQueryNetworkProperties))entries[4];
    __typeof__(&HcnDeleteNetwork) delete_network = (__typeof__(&HcnDeleteNetwork))entries[5];
    __typeof__(&HcnCloseNetwork) close_network = (__typeof__(&HcnCloseNetwork))entries[6];
    __typeof__(&HcnEnumerateEndpoints) enumerate_endpoints = (__typeof__(&HcnEnumerateEndpoints))entries[7];
    __typeof__(&HcnCreateEndpoint) create_endpoint = (__typeof__(&HcnCreateEndpoint))entries[8];
    __typeof__(&HcnOpenEndpoint) open_endpoint = (__typeof__(&HcnOpenEndpoint))entries[9];
    __typeof__(&HcnModifyEndpoint) modify_endpoint = (__typeof__(&HcnModifyEndpoint))entries[10];
    __typeof__(&HcnQueryEndpointProperties) query_endpoint = (__typeof__(&HcnQueryEndpointProperties))entries[11];
    __typeof__(&HcnDeleteEndpoint) delete_endpoint = (__typeof__(&HcnDeleteEndpoint))entries[12];
    __typeof__(&HcnCloseEndpoint) close_endpoint = (__typeof__(&HcnCloseEndpoint))entries[13];
    __typeof__(&HcnEnumerateNamespaces) enumerate_namespaces = (__typeof__(&HcnEnumerateNamespaces))entries[14];
    __typeof__(&HcnCreateNamespace) create_namespace = (__typeof__(&HcnCreateNamespace))entries[15];
    __typeof__(&HcnOpenNamespace) open_namespace = (__typeof__(&HcnOpenNamespace))entries[16];
    __typeof__(&HcnModifyNamespace) modify_namespace = (__typeof__(&HcnModifyNamespace))entries[17];
    __typeof__(&HcnQueryNamespaceProperties) query_namespace =
        (__typeof__(&HcnQueryNamespaceProperties))entries[18];
    __typeof__(&HcnDeleteNamespace) delete_namespace = (__typeof__(&HcnDeleteNamespace))entries[19];
    __typeof__(&HcnCloseNamespace) close_namespace = (__typeof__(&HcnCloseNamespace))entries[20];
    HNSCallFunction hns_call = (HNSCallFunction)entries[21];
    task_free = (FreeFunction)entries[22];

    const wchar_t *default_query = L"{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}";
    PWSTR out = NULL, record = NULL;
    HRESULT hr;

    // GUID byte order: the 16 bytes the Swift side passes for 12345678-9ABC-DEF0-0102-030405060708
    // (GUID.memoryLayoutBytes: Data1..Data3 little-endian, then Data4) must name that ID.
    static const uint8_t known_bytes[16] = {0x78, 0x56, 0x34, 0x12, 0xBC, 0x9A, 0xF0, 0xDE,
                                            0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
    GUID known;
    memcpy(&known, known_bytes, sizeof known);
    const char *known_text = "12345678-9ABC-DEF0-0102-030405060708";

    // Networks.
    HCN_NETWORK network = NULL;
    hr = create_network(&known, L"{\"Name\":\"cbr0\",\"Type\":\"L2Bridge\"}", &network, &record);
    driven[1] = 1;
    CHECK(hr == S_OK && network != NULL && record == NULL, "HcnCreateNetwork: 0x%08lx", (unsigned long)hr);
    hr = query_network(network, default_query, &out, &record);
    driven[4] = 1;
    char *document = take(&out);
    CHECK(hr == S_OK && record == NULL, "HcnQueryNetworkProperties: 0x%08lx", (unsigned long)hr);
    char expected_id[64];
    snprintf(expected_id, sizeof expected_id, "\"ID\":\"%s\"", known_text);
    CHECK(strstr(document, expected_id) != NULL, "GUID byte order: %s has no %s", document, expected_id);
    CHECK(strstr(document, "\"Name\":\"cbr0\"") != NULL, "the settings did not round-trip: %s", document);
    hr = modify_network(network, L"{\"Name\":\"cbr0\",\"Type\":\"L2Bridge\",\"Flags\":8}", &record);
    driven[3] = 1;
    CHECK(hr == S_OK && record == NULL, "HcnModifyNetwork: 0x%08lx", (unsigned long)hr);
    hr = close_network(network);
    driven[6] = 1;
    CHECK(hr == S_OK, "HcnCloseNetwork: 0x%08lx", (unsigned long)hr);
    CHECK(close_network(network) != S_OK, "a closed network handle was accepted again");

    HCN_NETWORK generated = NULL;
    GUID zero;
    memset(&zero, 0, sizeof zero);
    hr = create_network(&zero, L"{\"Name\":\"second\"}", &generated, &record);
    CHECK(hr == S_OK && record == NULL, "HcnCreateNetwork with the zero GUID: 0x%08lx", (unsigned long)hr);
    hr = query_network(generated, default_query, &out, &record);
    char generated_id[37] = "";
    document = take(&out);
    const char *id_at = strstr(document, "\"ID\":\"");
    if (id_at != NULL) memcpy(generated_id, id_at + 6, 36);
    CHECK(hr == S_OK && strlen(generated_id) == 36 && strcmp(generated_id, "00000000-0000-0000-0000-000000000000") != 0,
          "no ID generated for the zero GUID: %s", document);
    close_network(generated);

    hr = enumerate_networks(L"{\"SchemaVersion\":{\"Major\":2,\"Minor\":0},\"Filter\":\"\"}", &out, &record);
    driven[0] = 1;
    document = take(&out);
    CHECK(hr == S_OK && record == NULL && document[0] == '[' && strstr(document, known_text) != NULL &&
              strstr(document, generated_id) != NULL,
          "HcnEnumerateNetworks: 0x%08lx %s", (unsigned long)hr, document);

    hr = create_network(&known, L"{\"Name\":\"again\"}", &network, &record);
    document = take(&record);
    CHECK(hr == (HRESULT)0x803B0010L && network == NULL, "a duplicate network ID: 0x%08lx", (unsigned long)hr);
    CHECK(strstr(document, "\"Success\":false") != NULL && strstr(document, "\"ErrorCode\":2151350288") != NULL,
          "error record of a duplicate network: %s", document);
    hr = create_network(&zero, L"not json", &network, &record);
    document = take(&record);
    CHECK(hr == (HRESULT)0x803B001BL && strstr(document, "\"ErrorCode\":2151350299") != NULL,
          "bad JSON: 0x%08lx %s", (unsigned long)hr, document);

    // Endpoints, created on an open network handle.
    hr = open_network(&known, &network, &record);
    driven[2] = 1;
    CHECK(hr == S_OK && network != NULL && record == NULL, "HcnOpenNetwork: 0x%08lx", (unsigned long)hr);
    static const GUID endpoint_id = {0xA1B2C3D4, 0xE5F6, 0x0718, {0x29, 0x3A, 0x4B, 0x5C, 0x6D, 0x7E, 0x8F, 0x90}};
    HCN_ENDPOINT endpoint = NULL;
    hr = create_endpoint(network, &endpoint_id, L"{\"Name\":\"pod_eth0\"}", &endpoint, &record);
    driven[8] = 1;
    CHECK(hr == S_OK && endpoint != NULL && record == NULL, "HcnCreateEndpoint: 0x%08lx", (unsigned long)hr);
    close_network(network);
    hr = close_endpoint(endpoint);
    driven[13] = 1;
    CHECK(hr == S_OK, "HcnCloseEndpoint: 0x%08lx", (unsigned long)hr);
    hr = open_endpoint(&endpoint_id, &endpoint, &record);
    driven[9] = 1;
    CHECK(hr == S_OK && record == NULL, "HcnOpenEndpoint: 0x%08lx", (unsigned long)hr);
    hr = modify_endpoint(endpoint, L"{\"ResourceType\":\"Policy\",\"RequestType\":\"Add\",\"Settings\":{}}", &record);
    driven[10] = 1;
    CHECK(hr == S_OK && record == NULL, "HcnModifyEndpoint: 0x%08lx", (unsigned long)hr);
    hr = query_endpoint(endpoint, default_query, &out, &record);
    driven[11] = 1;
    document = take(&out);
    snprintf(expected_id, sizeof expected_id, "\"HostComputeNetwork\":\"%s\"", known_text);
    CHECK(hr == S_OK && strstr(document, "\"ID\":\"A1B2C3D4-E5F6-0718-293A-4B5C6D7E8F90\"") != NULL &&
              strstr(document, expected_id) != NULL && strstr(document, "\"Modifications\":1") != NULL,
          "HcnQueryEndpointProperties: 0x%08lx %s", (unsigned long)hr, document);
    close_endpoint(endpoint);
    hr = enumerate_endpoints(L"{}", &out, &record);
    driven[7] = 1;
    document = take(&out);
    CHECK(hr == S_OK && strcmp(document, "[\"A1B2C3D4-E5F6-0718-293A-4B5C6D7E8F90\"]") == 0,
          "HcnEnumerateEndpoints: %s", document);
    hr = delete_network(&known, &record);
    document = take(&record);
    CHECK(hr == (HRESULT)0x803B002CL && strstr(document, "\"ErrorCode\":2151350316") != NULL,
          "deleting a network with an endpoint: 0x%08lx %s", (unsigned long)hr, document);
    hr = delete_endpoint(&endpoint_id, &record);
    driven[12] = 1;
    CHECK(hr == S_OK && record == NULL, "HcnDeleteEndpoint: 0x%08lx", (unsigned long)hr);
    hr = open_endpoint(&endpoint_id, &endpoint, &record);
    document = take(&record);
    CHECK(hr == (HRESULT)0x803B0002L && endpoint == NULL &&
              strstr(document, "\"Error\":\"The endpoint was not found. \"") != NULL &&
              strstr(document, "\"ErrorCode\":2151350274") != NULL,
          "a deleted endpoint: 0x%08lx %s", (unsigned long)hr, document);
    hr = delete_network(&known, &record);
    driven[5] = 1;
    CHECK(hr == S_OK && record == NULL, "HcnDeleteNetwork: 0x%08lx", (unsigned long)hr);
    hr = open_network(&known, &network, &record);
    document = take(&record);
    CHECK(hr == (HRESULT)0x803B0001L && strstr(document, "\"ErrorCode\":2151350273") != NULL,
          "a deleted network: 0x%08lx %s", (unsigned long)hr, document);

    // Namespaces.
    static const GUID namespace_id = {0x0BADF00D, 0x0001, 0x0002, {0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A}};
    HCN_NAMESPACE space = NULL;
    hr = create_namespace(&namespace_id, L"{\"Type\":\"HostDefault\"}", &space, &record);
    driven[15] = 1;
    CHECK(hr == S_OK && space != NULL && record == NULL, "HcnCreateNamespace: 0x%08lx", (unsigned long)hr);
    hr = close_namespace(space);
    driven[20] = 1;
    CHECK(hr == S_OK, "HcnCloseNamespace: 0x%08lx", (unsigned long)hr);
    hr = open_namespace(&namespace_id, &space, &record);
    driven[16] = 1;
    CHECK(hr == S_OK && record == NULL, "HcnOpenNamespace: 0x%08lx", (unsigned long)hr);
    hr = modify_namespace(space, L"{\"ResourceType\":\"Endpoint\",\"RequestType\":\"Add\"}", &record);
    driven[17] = 1;
    CHECK(hr == S_OK && record == NULL, "HcnModifyNamespace: 0x%08lx", (unsigned long)hr);
    hr = query_namespace(space, default_query, &out, &record);
    driven[18] = 1;
    document = take(&out);
    CHECK(hr == S_OK && strstr(document, "\"ID\":\"0BADF00D-0001-0002-0304-05060708090A\"") != NULL,
          "HcnQueryNamespaceProperties: %s", document);
    hr = modify_namespace(space, L"[", &record);
    document = take(&record);
    CHECK(hr == (HRESULT)0x803B001BL && strstr(document, "\"Success\":false") != NULL,
          "a bad namespace modification: 0x%08lx %s", (unsigned long)hr, document);
    close_namespace(space);
    hr = enumerate_namespaces(L"{}", &out, &record);
    driven[14] = 1;
    document = take(&out);
    CHECK(hr == S_OK && strcmp(document, "[\"0BADF00D-0001-0002-0304-05060708090A\"]") == 0,
          "HcnEnumerateNamespaces: %s", document);
    hr = delete_namespace(&namespace_id, &record);
    driven[19] = 1;
    CHECK(hr == S_OK && record == NULL, "HcnDeleteNamespace: 0x%08lx", (unsigned long)hr);
    hr = enumerate_namespaces(L"{}", &out, &record);
    document = take(&out);
    CHECK(hr == S_OK && strcmp(document, "[]") == 0, "no namespace left, yet: %s", document);

    // HNSCall (v1).
    hr = hns_call(L"GET", L"/globals/version", L"", &out);
    driven[21] = 1;
    document = take(&out);
    CHECK(hr == S_OK && strstr(document, "\"Success\":true") != NULL && strstr(document, "\"Major\":15") != NULL,
          "HNSCall GET /globals/version: 0x%08lx %s", (unsigned long)hr, document);
    hr = hns_call(L"GET", L"/networks/nope", L"", &out);
    document = take(&out);
    CHECK(hr == (HRESULT)0x80070490L && strstr(document, "\"Error\":\"Element not found. \"") != NULL,
          "HNSCall of a missing path: 0x%08lx %s", (unsigned long)hr, document);

    HandleCountFunction open_handles =
        (HandleCountFunction)(void *)GetProcAddress(GetModuleHandleW(L"computenetwork.dll"), "FakeHcnOpenHandleCount");
    CHECK(open_handles != NULL && open_handles() == 0, "handles left open: %u",
          open_handles != NULL ? (unsigned)open_handles() : 0u);

    int count = 0;
    for (int i = 0; i < WINCNI_HCN_ENTRY_COUNT; i++) {
        CHECK(driven[i], "entry %d (%s) was not driven", i, entry_names[i]);
        count += driven[i];
    }
    printf("entry points driven through the loaded table: %d of %d\n", count, WINCNI_HCN_ENTRY_COUNT);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

#endif
