CPU_FLAGS := -mcpu=cortex-m4 -mthumb -mfloat-abi=soft
