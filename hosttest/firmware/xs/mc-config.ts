// Stand-in for the "mc/config" module: the manifest's config, filled by the scenario before main().

const config: Record<string, unknown> = {};

export default config;
