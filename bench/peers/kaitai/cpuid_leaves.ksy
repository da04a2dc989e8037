# cpuid_leaf (schema/x86.yaml) in Kaitai Struct: a cpuid section body.
# Written by hand from the schema; compiled to JavaScript by kaitai-struct-compiler (bench/peers/kaitai/compile.ts).
meta:
  id: cpuid_leaves
  endian: le
seq:
  - id: entries
    type: cpuid_leaf
    repeat: eos
types:
  cpuid_leaf:
    seq:
      - id: leaf
        type: u4
      - id: subleaf
        type: u4
      - id: eax
        type: u4
      - id: ebx
        type: u4
      - id: ecx
        type: u4
      - id: edx
        type: u4
