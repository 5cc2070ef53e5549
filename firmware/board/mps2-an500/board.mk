CPU_FLAGS := -mcpu=cortex-m7 -mthumb -mfloat-abi=soft
