// Spinner: a misbehaving app for the failure tests (firmware/scripts/device-failures.sh).
// Its activate never returns; the device must stop it when the activation's fuel is spent,
// report it failed, and keep running the other apps and the session.
import { log, publish } from "../../sdk/assembly/index";

let spins: u64 = 0;

export function init(): void {
  log("spinner: activate will never return");
}

export function activate(): void {
  publish("spinner/started", 1.0);
  while (true) {
    spins++;
  }
}
