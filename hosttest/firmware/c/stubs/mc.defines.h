/* Stand-in: mcconfig generates MODDEF_* from the manifests' defines; the test passes them with -D. */
