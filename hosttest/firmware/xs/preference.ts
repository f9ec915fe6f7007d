// Stand-in for Moddable's "preference" module: an in-memory store.

const store = new Map<string, string | boolean | number | ArrayBuffer>();

const Preference = {
  set(domain: string, key: string, value: string | boolean | number | ArrayBuffer): void {
    store.set(`${domain}/${key}`, value);
  },
  get(domain: string, key: string): string | boolean | number | ArrayBuffer | undefined {
    return store.get(`${domain}/${key}`);
  },
  delete(domain: string, key: string): void {
    store.delete(`${domain}/${key}`);
  },
  keys(domain: string): string[] {
    return [...store.keys()].filter((k) => k.startsWith(`${domain}/`)).map((k) => k.slice(domain.length + 1));
  },
};

export default Preference;
