#!/usr/bin/env bash
# The kernel code passes checkpatch.pl --strict and kernel-doc -Wall.
exec bash "$RDMAPIN_TOP/scripts/checkpatch.sh"
