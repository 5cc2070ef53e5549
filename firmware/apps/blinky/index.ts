// LED blinker: toggles one user LED at every activation. Config: `led` (index, default 0).
import { config, led, log } from "../../sdk/assembly/index";

let ledIndex: i32 = 0;
let on = false;

export function init(): void {
  ledIndex = I32.parseInt(config("led", "0"));
  log("blinky: blinking LED " + ledIndex.toString());
}

export function activate(): void {
  on = !on;
  led(ledIndex, on);
}
