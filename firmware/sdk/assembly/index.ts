// The wasmbed host API v1 for AssemblyScript apps (docs/host-api.md).

@external("wasmbed", "log")
declare function host_log(level: i32, ptr: usize, len: i32): void;
@external("wasmbed", "time_ms")
declare function host_time_ms(): i64;
@external("wasmbed", "publish")
declare function host_publish(ptr: usize, len: i32, value: f64): i32;
@external("wasmbed", "config_get")
declare function host_config_get(keyPtr: usize, keyLen: i32, bufPtr: usize, bufCap: i32): i32;
@external("wasmbed", "led_set")
declare function host_led_set(index: i32, on: i32): void;
@external("wasmbed", "switches")
declare function host_switches(): i32;

export enum Level {
  Debug = 0,
  Info = 1,
  Warn = 2,
  Error = 3,
}

/** Sends a line to the gateway's log of this device. */
export function log(message: string, level: Level = Level.Info): void {
  const utf8 = String.UTF8.encode(message);
  host_log(level, changetype<usize>(utf8), utf8.byteLength);
}

/** Milliseconds since the device booted. */
export function timeMs(): i64 {
  return host_time_ms();
}

/** Publishes a telemetry value; false when the device refused it (bad topic, too fast). */
export function publish(topic: string, value: f64): bool {
  const utf8 = String.UTF8.encode(topic);
  return host_publish(changetype<usize>(utf8), utf8.byteLength, value) == 0;
}

const CONFIG_VALUE_BYTES = 128;

/** A configuration value from the Application's config, or `fallback` when it is not set. */
export function config(key: string, fallback: string = ""): string {
  const k = String.UTF8.encode(key);
  const buf = new ArrayBuffer(CONFIG_VALUE_BYTES);
  const length = host_config_get(changetype<usize>(k), k.byteLength, changetype<usize>(buf), CONFIG_VALUE_BYTES);
  if (length < 0) return fallback;
  return String.UTF8.decodeUnsafe(changetype<usize>(buf), <usize>min(length, CONFIG_VALUE_BYTES));
}

/** Switches a user LED of the board on or off. */
export function led(index: i32, on: bool): void {
  host_led_set(index, on ? 1 : 0);
}

/** Bit mask of the board's user push buttons. */
export function switches(): i32 {
  return host_switches();
}

let commandArea: ArrayBuffer | null = null;

/**
 * For the app's `command_buffer` export: where the device may write a command's name and
 * payload, `len` bytes together (docs/host-api.md). One buffer, grown when a larger one is
 * asked for.
 *
 *   export function command_buffer(len: i32): usize { return commandBuffer(len); }
 *   export function command(name: usize, nameLen: i32, payload: usize, payloadLen: i32): i32 {
 *     if (commandText(name, nameLen) == "reset") { ...; return 1; }
 *     return 0;
 *   }
 */
export function commandBuffer(len: i32): usize {
  let area = commandArea;
  if (area == null || area.byteLength < len) {
    area = new ArrayBuffer(max(len, 64));
    commandArea = area;
  }
  return changetype<usize>(area);
}

/** A command's name or payload, as `command` was given it, as UTF-8 text. */
export function commandText(ptr: usize, len: i32): string {
  return String.UTF8.decodeUnsafe(ptr, <usize>len);
}

/**
 * AssemblyScript's abort (failed assertion, bounds error): logged, then a trap, which the
 * device reports as the app's failure. Apps are built with `--use abort=` pointing here so
 * they import nothing outside the host API.
 */
export function wasmbedAbort(message: string | null, file: string | null, line: u32, column: u32): void {
  log(
    "abort: " + (message ? message! : "") + " at " + (file ? file! : "?") + ":" + line.toString() + ":" + column.toString(),
    Level.Error,
  );
  unreachable();
}
