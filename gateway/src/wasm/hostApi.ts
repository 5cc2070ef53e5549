/** The `wasmbed` host API v1 (docs/host-api.md), as devices advertise it in hello. */
export const HOST_API_VERSION = 1;

export const HOST_API_V1 = [
  'wasmbed/log:(iii)',
  'wasmbed/time_ms:()j',
  'wasmbed/publish:(iid)i',
  'wasmbed/config_get:(iiii)i',
  'wasmbed/led_set:(ii)',
  'wasmbed/switches:()i',
] as const;
