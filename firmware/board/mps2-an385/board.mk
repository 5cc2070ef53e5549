CPU_FLAGS := -mcpu=cortex-m3 -mthumb -mfloat-abi=soft
