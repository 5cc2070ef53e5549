// Telemetry publisher: at every activation publishes the device uptime in seconds, a counter,
// and the push-button mask. Config: `topic` (prefix, default "device").
// Commands: `reset` sets the counter to zero; `topic` with a payload changes the prefix.
import { commandBuffer, commandText, config, log, publish, switches, timeMs } from "../../sdk/assembly/index";

let prefix = "device";
let activations: i32 = 0;

export function init(): void {
  prefix = config("topic", "device");
  log("telemetry: publishing under " + prefix);
}

export function activate(): void {
  activations++;
  publish(prefix + "/uptime_s", <f64>timeMs() / 1000.0);
  publish(prefix + "/activations", <f64>activations);
  publish(prefix + "/switches", <f64>switches());
}

export function command_buffer(len: i32): usize {
  return commandBuffer(len);
}

/** Answers 1 for a command it knows, 0 otherwise. */
export function command(name: usize, nameLen: i32, payload: usize, payloadLen: i32): i32 {
  const what = commandText(name, nameLen);
  if (what == "reset") {
    activations = 0;
    log("telemetry: counter reset");
    return 1;
  }
  if (what == "topic" && payloadLen > 0) {
    prefix = commandText(payload, payloadLen);
    log("telemetry: publishing under " + prefix);
    return 1;
  }
  return 0;
}
