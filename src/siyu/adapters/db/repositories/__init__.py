"""One repository per noun. Every method takes the tenant (or a scope) and filters on it."""
