#if os(Windows)
#endif
