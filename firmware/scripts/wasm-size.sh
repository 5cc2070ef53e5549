#!/bin/sh
# Builds the interpreter core for Cortex-M3 (arm-none-eabi-gcc -Os -mthumb)
# and prints its code size as JSON. The limit applies to the core's text
# (our code); "linked_text" adds the libgcc/libm/newlib routines a minimal
# image pulls in (soft-float, memcpy...), for information.
set -eu
HERE=$(cd "$(dirname "$0")/.." && pwd)
sh "$HERE/scripts/ensure-deps.sh" gcc-arm-none-eabi libnewlib-arm-none-eabi make >&2
make -s -C "$HERE" arm >&2
cd "$HERE"
sizes=$(arm-none-eabi-size build/arm/*.o | tail -n +2)
text=$(echo "$sizes" | awk '{t+=$1} END {print t}')
data=$(echo "$sizes" | awk '{t+=$2} END {print t}')
bss=$(echo "$sizes" | awk '{t+=$3} END {print t}')
files=$(echo "$sizes" | awk '{n=$6; sub(".*/","",n); printf "%s\"%s\":%d", (NR>1?",":""), n, $1}')
linked=null
if arm-none-eabi-gcc -Os -mcpu=cortex-m3 -mthumb -ffunction-sections -fdata-sections -Iwasm/include \
     --specs=nano.specs --specs=nosys.specs -Wl,--gc-sections \
     -o build/arm/size.elf tools/arm/size_main.c build/arm/*.o -lm >/dev/null 2>&1; then
  linked=$(arm-none-eabi-size build/arm/size.elf | tail -1 | awk '{print $1}')
fi
limit=40960
ok=false; [ "$text" -le "$limit" ] && ok=true
echo "{\"target\":\"cortex-m3\",\"flags\":\"-Os -mcpu=cortex-m3 -mthumb\",\"text\":$text,\"data\":$data,\"bss\":$bss,\"limit_text\":$limit,\"ok\":$ok,\"linked_text\":$linked,\"files\":{$files}}"
[ "$ok" = true ]
