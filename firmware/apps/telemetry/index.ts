// Telemetry publisher: at every activation publishes the device uptime in seconds, a counter,
// and the push-button mask. Config: `topic` (prefix, default "device").
import { config, log, publish, switches, timeMs } from "../../sdk/assembly/index";

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
