#ifndef WINCNI_CJSONC_SHIM_H
#define WINCNI_CJSONC_SHIM_H
#include <json-c/json.h>
#include <json-c/json_object_iterator.h>

/* One spare tokener, so that the ~20 parses of a plugin exec do not each allocate (and zero) a tokener and its
 * depth-sized stack. Called with NULL, returns the spare (or a new tokener of `depth` levels when there is none);
 * called with a tokener, resets it and keeps it as the spare (or frees it when another thread already put one back),
 * returning NULL. One function, because Swift's importer emits only the inline functions Swift calls, each with its
 * own statics. Only JSONParser.swift calls it. */
static inline json_tokener *wincni_spare_tokener(json_tokener *returned, int depth)
{
	static json_tokener *spare;
	if (!returned)
	{
		json_tokener *tokener = __atomic_exchange_n(&spare, (json_tokener *)0, __ATOMIC_ACQUIRE);
		return tokener ? tokener : json_tokener_new_ex(depth);
	}
	json_tokener *expected = (json_tokener *)0;
	json_tokener_reset(returned);
	if (!__atomic_compare_exchange_n(&spare, &expected, returned, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		json_tokener_free(returned);
	return (json_tokener *)0;
}
#endif
