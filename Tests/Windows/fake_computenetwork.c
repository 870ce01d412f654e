// A fake computenetwork.dll for the loader test under wine (make windows-check). It is compiled against mingw's
// computenetwork.h, so an export whose signature differs from the real DLL's does not compile. It keeps networks,
// endpoints and namespaces in memory and follows HCN's conventions: out-strings and error records are allocated
// with CoTaskMemAlloc (wine's real ole32) for the caller to free with CoTaskMemFree, a failure returns an HRESULT and
// an error record {"Success":false,"Error":"<text> ","ErrorCode":<unsigned decimal>}, a success leaves the error
// record NULL, and IDs are printed from the GUID struct's fields in upper case, as HNS prints them.
#if defined(_WIN32)

#include <windows.h>
#include <objbase.h>
#include <computenetwork.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

enum kind { KIND_NETWORK = 1, KIND_ENDPOINT = 2, KIND_NAMESPACE = 3 };

#define MAX_OBJECTS 64
#define MAX_HANDLES 64
#define HANDLE_BASE 0x4c00

struct object {
    int in_use;
    enum kind kind;
    GUID id;
    GUID network;  // endpoints: the network they were created on
    WCHAR *settings;  // HeapAlloc'd copy of the last Create/Modify document
    unsigned modifications;
};

struct handle_slot {
    int in_use;
    enum kind kind;
    GUID id;
};

static struct object objects[MAX_OBJECTS];
static struct handle_slot handles[MAX_HANDLES];
static uint32_t generated;

#define HCN_E_NETWORK_NOT_FOUND ((HRESULT)0x803B0001L)
#define HCN_E_ENDPOINT_NOT_FOUND ((HRESULT)0x803B0002L)
#define HCN_E_NETWORK_ALREADY_EXISTS ((HRESULT)0x803B0010L)
#define HCN_E_INVALID_JSON ((HRESULT)0x803B001BL)
#define HRESULT_ELEMENT_NOT_FOUND ((HRESULT)0x80070490L)

static const char *message_of(HRESULT code) {
    switch ((uint32_t)code) {
    case 0x803B0001u: return "The network was not found.";
    case 0x803B0002u: return "The endpoint was not found.";
    case 0x803B0010u: return "A network with this name already exists.";
    case 0x803B001Bu: return "Invalid JSON document string.";
    case 0x80070490u: return "Element not found.";
    case 0x80070006u: return "The handle is invalid.";
    case 0x80070057u: return "The parameter is incorrect.";
    default: return "Unspecified error";
    }
}

// A CoTaskMemAlloc'd UTF-16 copy of an ASCII text.
static PWSTR task_string(const char *text) {
    size_t length = strlen(text);
    PWSTR out = CoTaskMemAlloc((length + 1) * sizeof(WCHAR));
    if (out == NULL) return NULL;
    for (size_t i = 0; i <= length; i++) out[i] = (WCHAR)(unsigned char)text[i];
    return out;
}

// Sets *record (when the caller asked for one) to the error record of `code` and returns `code`.
static HRESULT fail(HRESULT code, PWSTR *record) {
    if (record != NULL) {
        char text[256];
        snprintf(text, sizeof text, "{\"Success\":false,\"Error\":\"%s \",\"ErrorCode\":%lu}", message_of(code),
                 (unsigned long)(uint32_t)code);
        *record = task_string(text);
    }
    return code;
}

static HRESULT succeed(PWSTR *record) {
    if (record != NULL) *record = NULL;
    return S_OK;
}

static void format_guid(const GUID *id, char out[37]) {
    snprintf(out, 37, "%08lX-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X", (unsigned long)id->Data1,
             (unsigned)id->Data2, (unsigned)id->Data3, id->Data4[0], id->Data4[1], id->Data4[2], id->Data4[3],
             id->Data4[4], id->Data4[5], id->Data4[6], id->Data4[7]);
}

static int is_zero(const GUID *id) {
    static const GUID zero;
    return memcmp(id, &zero, sizeof zero) == 0;
}

// A settings document must be a JSON object: non-empty, '{' first and '}' last (whitespace aside).
static int looks_like_object(PCWSTR text) {
    if (text == NULL) return 0;
    size_t length = wcslen(text);
    size_t first = 0;
    while (first < length && iswspace(text[first])) first++;
    while (length > first && iswspace(text[length - 1])) length--;
    return length - first >= 2 && text[first] == L'{' && text[length - 1] == L'}';
}

static struct object *find_object(enum kind kind, const GUID *id) {
    for (int i = 0; i < MAX_OBJECTS; i++) {
        if (objects[i].in_use && objects[i].kind == kind && memcmp(&objects[i].id, id, sizeof *id) == 0) {
            return &objects[i];
        }
    }
    return NULL;
}

static HRESULT not_found(enum kind kind, PWSTR *record) {
    if (kind == KIND_NETWORK) return fail(HCN_E_NETWORK_NOT_FOUND, record);
    if (kind == KIND_ENDPOINT) return fail(HCN_E_ENDPOINT_NOT_FOUND, record);
    return fail(HRESULT_ELEMENT_NOT_FOUND, record);
}

static WCHAR *heap_copy(PCWSTR text) {
    size_t bytes = (wcslen(text) + 1) * sizeof(WCHAR);
    WCHAR *copy = HeapAlloc(GetProcessHeap(), 0, bytes);
    if (copy != NULL) memcpy(copy, text, bytes);
    return copy;
}

static void *open_handle(enum kind kind, const GUID *id) {
    for (int i = 0; i < MAX_HANDLES; i++) {
        if (!handles[i].in_use) {
            handles[i].in_use = 1;
            handles[i].kind = kind;
            handles[i].id = *id;
            return (void *)(uintptr_t)(HANDLE_BASE + i);
        }
    }
    return NULL;
}

// The object behind an open handle of `kind`, or NULL for a closed, foreign or made-up handle.
static struct object *object_of(void *handle, enum kind kind) {
    uintptr_t value = (uintptr_t)handle;
    if (value < HANDLE_BASE || value >= HANDLE_BASE + MAX_HANDLES) return NULL;
    struct handle_slot *slot = &handles[value - HANDLE_BASE];
    if (!slot->in_use || slot->kind != kind) return NULL;
    return find_object(kind, &slot->id);
}

static HRESULT close_handle(void *handle, enum kind kind) {
    uintptr_t value = (uintptr_t)handle;
    if (value < HANDLE_BASE || value >= HANDLE_BASE + MAX_HANDLES) return E_HANDLE;
    struct handle_slot *slot = &handles[value - HANDLE_BASE];
    if (!slot->in_use || slot->kind != kind) return E_HANDLE;
    slot->in_use = 0;
    return S_OK;
}

static HRESULT create(enum kind kind, REFGUID id, const GUID *network, PCWSTR settings, void **out, PWSTR *record) {
    if (out == NULL || id == NULL) return fail(E_INVALIDARG, record);
    *out = NULL;
    if (!looks_like_object(settings)) return fail(HCN_E_INVALID_JSON, record);
    GUID chosen = *id;
    if (is_zero(&chosen)) {
        // HNS generates the ID when the caller passes the zero GUID (hcsshim always does).
        generated++;
        chosen.Data1 = 0xFACE0000u | generated;
        chosen.Data2 = (unsigned short)kind;
        chosen.Data3 = 0x4000;
        memcpy(chosen.Data4, "\x80\x00wincni", 8);
    }
    if (find_object(kind, &chosen) != NULL) {
        return fail(kind == KIND_NETWORK ? HCN_E_NETWORK_ALREADY_EXISTS : E_INVALIDARG, record);
    }
    for (int i = 0; i < MAX_OBJECTS; i++) {
        if (!objects[i].in_use) {
            WCHAR *copy = heap_copy(settings);
            if (copy == NULL) return fail(E_OUTOFMEMORY, record);
            void *handle = open_handle(kind, &chosen);
            if (handle == NULL) {
                HeapFree(GetProcessHeap(), 0, copy);
                return fail(E_OUTOFMEMORY, record);
            }
            objects[i] = (struct object){.in_use = 1, .kind = kind, .id = chosen, .settings = copy};
            if (network != NULL) objects[i].network = *network;
            *out = handle;
            return succeed(record);
        }
    }
    return fail(E_OUTOFMEMORY, record);
}

static HRESULT open_object(enum kind kind, REFGUID id, void **out, PWSTR *record) {
    if (out == NULL || id == NULL) return fail(E_INVALIDARG, record);
    *out = NULL;
    if (find_object(kind, id) == NULL) return not_found(kind, record);
    *out = open_handle(kind, id);
    return *out == NULL ? fail(E_OUTOFMEMORY, record) : succeed(record);
}

static HRESULT modify(void *handle, enum kind kind, PCWSTR settings, PWSTR *record) {
    struct object *object = object_of(handle, kind);
    if (object == NULL) return fail(E_HANDLE, record);
    if (!looks_like_object(settings)) return fail(HCN_E_INVALID_JSON, record);
    WCHAR *copy = heap_copy(settings);
    if (copy == NULL) return fail(E_OUTOFMEMORY, record);
    HeapFree(GetProcessHeap(), 0, object->settings);
    object->settings = copy;
    object->modifications++;
    return succeed(record);
}

// {"ID":"<upper-case GUID>","Modifications":N[,"HostComputeNetwork":"<GUID>"],"Settings":<last document>}
static HRESULT query(void *handle, enum kind kind, PCWSTR query_text, PWSTR *properties, PWSTR *record) {
    if (properties == NULL) return fail(E_INVALIDARG, record);
    *properties = NULL;
    struct object *object = object_of(handle, kind);
    if (object == NULL) return fail(E_HANDLE, record);
    if (!looks_like_object(query_text)) return fail(HCN_E_INVALID_JSON, record);
    char id[37], network[37], head[160];
    format_guid(&object->id, id);
    format_guid(&object->network, network);
    int used = snprintf(head, sizeof head, "{\"ID\":\"%s\",\"Modifications\":%u", id, object->modifications);
    if (kind == KIND_ENDPOINT) {
        snprintf(head + used, sizeof head - (size_t)used, ",\"HostComputeNetwork\":\"%s\"", network);
    }
    static const char settings_key[] = ",\"Settings\":";
    size_t head_length = strlen(head), key_length = strlen(settings_key), settings_length = wcslen(object->settings);
    PWSTR out = CoTaskMemAlloc((head_length + key_length + settings_length + 2) * sizeof(WCHAR));
    if (out == NULL) return fail(E_OUTOFMEMORY, record);
    size_t at = 0;
    for (size_t i = 0; i < head_length; i++) out[at++] = (WCHAR)head[i];
    for (size_t i = 0; i < key_length; i++) out[at++] = (WCHAR)settings_key[i];
    memcpy(out + at, object->settings, settings_length * sizeof(WCHAR));
    at += settings_length;
    out[at++] = L'}';
    out[at] = 0;
    *properties = out;
    return succeed(record);
}

static HRESULT delete_object(enum kind kind, REFGUID id, PWSTR *record) {
    if (id == NULL) return fail(E_INVALIDARG, record);
    struct object *object = find_object(kind, id);
    if (object == NULL) return not_found(kind, record);
    HeapFree(GetProcessHeap(), 0, object->settings);
    memset(object, 0, sizeof *object);
    return succeed(record);
}

// A JSON array of the IDs of every object of `kind`; "[]" when there are none, never an empty string.
static HRESULT enumerate(enum kind kind, PCWSTR query_text, PWSTR *list, PWSTR *record) {
    if (list == NULL) return fail(E_INVALIDARG, record);
    *list = NULL;
    if (query_text != NULL && query_text[0] != 0 && !looks_like_object(query_text)) {
        return fail(HCN_E_INVALID_JSON, record);
    }
    char text[MAX_OBJECTS * 40 + 3];
    size_t at = 0;
    text[at++] = '[';
    for (int i = 0; i < MAX_OBJECTS; i++) {
        if (!objects[i].in_use || objects[i].kind != kind) continue;
        if (at > 1) text[at++] = ',';
        text[at++] = '"';
        format_guid(&objects[i].id, text + at);
        at += 36;
        text[at++] = '"';
    }
    text[at++] = ']';
    text[at] = 0;
    *list = task_string(text);
    return *list == NULL ? fail(E_OUTOFMEMORY, record) : succeed(record);
}

// Not an HCN export: how many handles are still open, so the loader test can check that it closed each one.
uint32_t WINAPI FakeHcnOpenHandleCount(void) {
    uint32_t count = 0;
    for (int i = 0; i < MAX_HANDLES; i++) count += handles[i].in_use ? 1u : 0u;
    return count;
}

HRESULT WINAPI HcnEnumerateNetworks(PCWSTR Query, PWSTR *Networks, PWSTR *ErrorRecord) {
    return enumerate(KIND_NETWORK, Query, Networks, ErrorRecord);
}
HRESULT WINAPI HcnCreateNetwork(REFGUID Id, PCWSTR Settings, PHCN_NETWORK Network, PWSTR *ErrorRecord) {
    return create(KIND_NETWORK, Id, NULL, Settings, Network, ErrorRecord);
}
HRESULT WINAPI HcnOpenNetwork(REFGUID Id, PHCN_NETWORK Network, PWSTR *ErrorRecord) {
    return open_object(KIND_NETWORK, Id, Network, ErrorRecord);
}
HRESULT WINAPI HcnModifyNetwork(HCN_NETWORK Network, PCWSTR Settings, PWSTR *ErrorRecord) {
    return modify(Network, KIND_NETWORK, Settings, ErrorRecord);
}
HRESULT WINAPI HcnQueryNetworkProperties(HCN_NETWORK Network, PCWSTR Query, PWSTR *Properties, PWSTR *ErrorRecord) {
    return query(Network, KIND_NETWORK, Query, Properties, ErrorRecord);
}
HRESULT WINAPI HcnDeleteNetwork(REFGUID Id, PWSTR *ErrorRecord) {
    if (Id != NULL) {
        for (int i = 0; i < MAX_OBJECTS; i++) {
            if (objects[i].in_use && objects[i].kind == KIND_ENDPOINT &&
                memcmp(&objects[i].network, Id, sizeof *Id) == 0) {
                return fail((HRESULT)0x803B002CL, ErrorRecord);  // HCN_E_ENTITY_HAS_REFERENCES
            }
        }
    }
    return delete_object(KIND_NETWORK, Id, ErrorRecord);
}
HRESULT WINAPI HcnCloseNetwork(HCN_NETWORK Network) { return close_handle(Network, KIND_NETWORK); }

HRESULT WINAPI HcnEnumerateEndpoints(PCWSTR Query, PWSTR *Endpoints, PWSTR *ErrorRecord) {
    return enumerate(KIND_ENDPOINT, Query, Endpoints, ErrorRecord);
}
HRESULT WINAPI HcnCreateEndpoint(HCN_NETWORK Network, REFGUID Id, PCWSTR Settings, PHCN_ENDPOINT Endpoint,
                                 PWSTR *ErrorRecord) {
    struct object *network = object_of(Network, KIND_NETWORK);
    if (network == NULL) {
        if (Endpoint != NULL) *Endpoint = NULL;
        return fail(E_HANDLE, ErrorRecord);
    }
    return create(KIND_ENDPOINT, Id, &network->id, Settings, Endpoint, ErrorRecord);
}
HRESULT WINAPI HcnOpenEndpoint(REFGUID Id, PHCN_ENDPOINT Endpoint, PWSTR *ErrorRecord) {
    return open_object(KIND_ENDPOINT, Id, Endpoint, ErrorRecord);
}
HRESULT WINAPI HcnModifyEndpoint(HCN_ENDPOINT Endpoint, PCWSTR Settings, PWSTR *ErrorRecord) {
    return modify(Endpoint, KIND_ENDPOINT, Settings, ErrorRecord);
}
HRESULT WINAPI HcnQueryEndpointProperties(HCN_ENDPOINT Endpoint, PCWSTR Query, PWSTR *Properties,
                                          PWSTR *ErrorRecord) {
    return query(Endpoint, KIND_ENDPOINT, Query, Properties, ErrorRecord);
}
HRESULT WINAPI HcnDeleteEndpoint(REFGUID Id, PWSTR *ErrorRecord) {
    return delete_object(KIND_ENDPOINT, Id, ErrorRecord);
}
HRESULT WINAPI HcnCloseEndpoint(HCN_ENDPOINT Endpoint) { return close_handle(Endpoint, KIND_ENDPOINT); }

HRESULT WINAPI HcnEnumerateNamespaces(PCWSTR Query, PWSTR *Namespaces, PWSTR *ErrorRecord) {
    return enumerate(KIND_NAMESPACE, Query, Namespaces, ErrorRecord);
}
HRESULT WINAPI HcnCreateNamespace(REFGUID Id, PCWSTR Settings, PHCN_NAMESPACE Namespace, PWSTR *ErrorRecord) {
    return create(KIND_NAMESPACE, Id, NULL, Settings, Namespace, ErrorRecord);
}
HRESULT WINAPI HcnOpenNamespace(REFGUID Id, PHCN_NAMESPACE Namespace, PWSTR *ErrorRecord) {
    return open_object(KIND_NAMESPACE, Id, Namespace, ErrorRecord);
}
HRESULT WINAPI HcnModifyNamespace(HCN_NAMESPACE Namespace, PCWSTR Settings, PWSTR *ErrorRecord) {
    return modify(Namespace, KIND_NAMESPACE, Settings, ErrorRecord);
}
HRESULT WINAPI HcnQueryNamespaceProperties(HCN_NAMESPACE Namespace, PCWSTR Query, PWSTR *Properties,
                                           PWSTR *ErrorRecord) {
    return query(Namespace, KIND_NAMESPACE, Query, Properties, ErrorRecord);
}
HRESULT WINAPI HcnDeleteNamespace(REFGUID Id, PWSTR *ErrorRecord) {
    return delete_object(KIND_NAMESPACE, Id, ErrorRecord);
}
HRESULT WINAPI HcnCloseNamespace(HCN_NAMESPACE Namespace) { return close_handle(Namespace, KIND_NAMESPACE); }

#endif
