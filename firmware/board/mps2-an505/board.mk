CPU_FLAGS := -mcpu=cortex-m33 -mthumb -mfloat-abi=soft
