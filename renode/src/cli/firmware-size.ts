/**
 * `npm run firmware:size`: flash (text+data) and static RAM (data+bss+stack, the linker's
 * `__ram_used`) of the device image per board, as JSON. App memory and the interpreter arenas
 * live in a separate region (`.appram`) and are reported beside, not in, the static RAM.
 */
import { execFileSync } from 'node:child_process';
import { deviceImage } from '../firmwareImage';
import { PROVISIONING_ADDRESS } from '../provisioning';

const FLASH_BUDGET = 256 * 1024;
const RAM_BUDGET = 96 * 1024;

const rows = Object.keys(PROVISIONING_ADDRESS).map(board => {
  const elf = deviceImage(board);
  const sections = execFileSync('arm-none-eabi-size', ['-A', elf]).toString();
  const section = (name: string) =>
    Number(new RegExp(`^\\${name}\\s+(\\d+)`, 'm').exec(sections)?.[1] ?? 0);
  const [text, data] = execFileSync('arm-none-eabi-size', [elf])
    .toString()
    .split('\n')[1]!
    .trim()
    .split(/\s+/)
    .map(Number);
  const symbols = execFileSync('arm-none-eabi-nm', [elf]).toString();
  const ramUsed = parseInt(/^([0-9a-f]+) \w __ram_used$/m.exec(symbols)?.[1] ?? 'NaN', 16);
  const flash = text! + data!;
  return {
    board,
    flashBytes: flash,
    staticRamBytes: ramUsed,
    appRamBytes: section('.appram'),
    flashBudget: FLASH_BUDGET,
    staticRamBudget: RAM_BUDGET,
    withinBudget: flash <= FLASH_BUDGET && ramUsed <= RAM_BUDGET,
  };
});
for (const row of rows) console.log(JSON.stringify(row));
process.exit(rows.every(r => r.withinBudget) ? 0 : 1);
