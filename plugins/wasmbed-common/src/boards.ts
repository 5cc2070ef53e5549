/**
 * The board catalogue: every board a Device may name. QEMU's MPS2 boards have a CMSDK UART and
 * a LAN9118 NIC and are the default; Renode boards run only where Renode is installed, and
 * boards without an emulated NIC reach their gateway over the serial transport.
 */
export type Emulator = 'qemu' | 'renode';
export type Architecture = 'armv7-m' | 'armv7e-m' | 'armv8-m.main';
export type Transport = 'ethernet' | 'serial';

export interface Board {
  id: string;
  emulator: Emulator;
  /** QEMU `-machine` value or the Renode platform file. */
  machine: string;
  cpu: 'cortex-m3' | 'cortex-m4' | 'cortex-m7' | 'cortex-m33';
  architecture: Architecture;
  transport: Transport;
  flashBytes: number;
  ramBytes: number;
}

export const BOARDS = [
  {
    id: 'mps2-an385',
    emulator: 'qemu',
    machine: 'mps2-an385',
    cpu: 'cortex-m3',
    architecture: 'armv7-m',
    transport: 'ethernet',
    flashBytes: 4 * 1024 * 1024,
    ramBytes: 4 * 1024 * 1024,
  },
  {
    id: 'mps2-an386',
    emulator: 'qemu',
    machine: 'mps2-an386',
    cpu: 'cortex-m4',
    architecture: 'armv7e-m',
    transport: 'ethernet',
    flashBytes: 4 * 1024 * 1024,
    ramBytes: 4 * 1024 * 1024,
  },
  {
    id: 'mps2-an500',
    emulator: 'qemu',
    machine: 'mps2-an500',
    cpu: 'cortex-m7',
    architecture: 'armv7e-m',
    transport: 'ethernet',
    flashBytes: 4 * 1024 * 1024,
    ramBytes: 4 * 1024 * 1024,
  },
  {
    id: 'mps2-an505',
    emulator: 'qemu',
    machine: 'mps2-an505',
    cpu: 'cortex-m33',
    architecture: 'armv8-m.main',
    transport: 'ethernet',
    flashBytes: 4 * 1024 * 1024,
    ramBytes: 4 * 1024 * 1024,
  },
  {
    id: 'stm32f4-discovery',
    emulator: 'renode',
    machine: 'platforms/boards/stm32f4_discovery-kit.repl',
    cpu: 'cortex-m4',
    architecture: 'armv7e-m',
    transport: 'serial',
    flashBytes: 1024 * 1024,
    ramBytes: 192 * 1024,
  },
  {
    id: 'nrf52840-dk',
    emulator: 'renode',
    machine: 'platforms/boards/nrf52840dk_nrf52840.repl',
    cpu: 'cortex-m4',
    architecture: 'armv7e-m',
    transport: 'serial',
    flashBytes: 1024 * 1024,
    ramBytes: 256 * 1024,
  },
] as const satisfies readonly Board[];

export type BoardId = (typeof BOARDS)[number]['id'];

export const BOARD_IDS = BOARDS.map(b => b.id) as [BoardId, ...BoardId[]];

export function findBoard(id: string): Board | undefined {
  return BOARDS.find(b => b.id === id);
}
