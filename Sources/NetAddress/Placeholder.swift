// Placeholder: NetAddress lands next.
