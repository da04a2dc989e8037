/**
 * Every `code` an error of xenimage can carry, with its meaning: the one list the error classes take
 * their codes from (a code missing here does not compile), the docs' error-code page is generated from,
 * and the conformance suite's manifest names. A code is a stable, machine-readable kind; adding one is a
 * deliberate change of this list, and its meaning is published with it.
 */

/** A code's meaning, as the docs print it; `rule` says which page states the rules that raise it. */
export interface ErrorCodeDoc {
  /** One or two sentences: what is wrong when this code is raised. */
  readonly meaning: string;
  /** Where the rules that raise it are stated (a docs page id, `#anchor` allowed), when a page does. */
  readonly rules?: string;
}

/**
 * The codes of a `DecodeError`: what is wrong with the bytes. Those marked with a `rules` page are the
 * validity rules of the format, which the conformance suite tests; the others are about the reader or
 * about inputs in Xen's own formats.
 */
export const DECODE_ERROR_CODES = {
  // The format's validity rules, roughly in the order a reader meets them.
  magic: { meaning: "A magic number or other constant is not the value the layout fixes (the image's first 8 bytes, the HVM context header's magic).", rules: "header" },
  "field-value": {
    meaning:
      "A field holds a value its rule does not allow: a closed enum's unlisted value (byte_order, image_type, guest_type, arch), a value outside the range its field gives (page_shift, vcpu_count, memory_size, header_size, section_entry_size), an integer too large for the exact number the schema promises.",
    rules: "header",
  },
  reserved: { meaning: "A reserved field, reserved bits or padding inside a struct are not zero (in a version-1 image, also the entry_crc word).", rules: "index#conventions" },
  string: { meaning: "A string is not valid: a non-zero byte after its terminating NUL, bytes that are not UTF-8 (or not ASCII where the field says ASCII), a NUL inside a text that has no terminator.", rules: "index#conventions" },
  unsupported: { meaning: "The image's format_version is 0 or above the highest this reader knows (or, for Xen's formats, a version or feature this tool does not read).", rules: "versioning" },
  crc: { meaning: "A CRC32C does not match: the header's (header_crc) or a section body's (the entry's crc).", rules: "section-table" },
  "entry-crc": { meaning: "A section-table entry's entry_crc does not match the entry's bytes.", rules: "section-table" },
  "end-entry": { meaning: "The end section is not the last entry, the last entry is not the end section, or a field of the end entry is not the one value it may have.", rules: "section-table" },
  alignment: { meaning: "An entry's align is not a power of two, is above 2 MiB, or is not the alignment the registry gives its type.", rules: "section-table" },
  "optional-bit": { meaning: "A known section type carries the wrong optional bit (bit 31 of the entry's type).", rules: "section-table" },
  "entry-shape": {
    meaning: "An entry's entry_count and entry_size do not describe its body: non-zero for a section that is not an array section, or, for an array section, an entry_size other than its layout's or a size other than entry_count × entry_size.",
    rules: "section-table",
  },
  placement: {
    meaning: "A body or the section table is not where the layout puts it: outside the image, overlapping another, out of table order, not at the first multiple of its alignment after the previous body, or a seekable offset in a stream (and the other way round).",
    rules: "section-table",
  },
  gap: { meaning: "A byte of an alignment gap of a seekable image (before a body, or before the table) is not zero.", rules: "section-table" },
  padding: { meaning: "A byte of a stream's padding (after the header or a body, up to a multiple of 8) is not zero.", rules: "section-table" },
  trailing: { meaning: "Bytes follow the end of the image: after a seekable image's section table, or after a stream's end entry.", rules: "section-table" },
  "section-count": { meaning: "The header's section_count does not fit the image: 0 in a seekable image, or, in a stream, neither 0 nor the number of sections the stream holds (the end section counted).", rules: "header" },
  "unknown-mandatory": { meaning: "A section of a type this reader does not know has the optional bit clear: the reader cannot skip it.", rules: "section-table" },
  truncated: { meaning: "The bytes end before what the layout requires: the image or stream ends early, or a section body is shorter than its layout's fixed fields.", rules: "index#conventions" },
  length: {
    meaning: "A body or record has bytes its layout does not account for, or a count or length field disagrees with the bytes it describes (an HVM record's length, hvm_msr's count, vcpu_msrs' MSRs, p2m_frame_list's frames, an xsave area).",
    rules: "index#conventions",
  },
  "no-variant": { meaning: "No layout of a section fits the image's header (its arch or guest type).", rules: "index#conventions" },
  "vcpu-count": { meaning: "The vcpu_context section does not fit the header's vcpu_count: no entry, or more entries than vcpus.", rules: "sections/vcpu_context" },
  "vcpu-id": { meaning: "A vcpu id (of a per-vcpu section, or the instance of a per-vcpu HVM record) is not below the header's vcpu_count.", rules: "sections/vcpu_context" },
  "pfn-map": { meaning: "A core image's pfn_map does not have one entry per page-frame word of its page_data sections.", rules: "sections/pfn_map" },
  "hvm-record": { meaning: "An HVM context's records are not in order: the header record is not first, the end record not last, or one of them appears twice.", rules: "sections/hvm_context" },
  "xen-version": { meaning: "The header's xen_major and xen_minor differ from the hypervisor version the xen_version section gives.", rules: "sections/xen_version" },
  "image-rule": { meaning: "The sections break the image-type rule the header selects (one missing, repeated, forbidden or out of order), or no rule covers the header's image type, guest type and architecture.", rules: "rules" },
  // About the reader or the input, not the format's validity.
  streamed: { meaning: "A streamed image was given where a seekable one is needed (a reader that seeks, such as decodeImage)." },
  "not-streamed": { meaning: "A seekable image was given where a stream is needed." },
  "too-large": { meaning: "A section body is larger than the reader's limit (maxSectionSize), so it is refused before anything is allocated for it." },
  invalid: {
    meaning:
      "An input in one of Xen's own formats (a libxc or libxl stream, an xl save file, a dump-core ELF file) breaks a rule of that format or one Xen's restorer checks; also a stream reader's sanity limit (a header or entry over 1 MiB), a source that gives something other than bytes, and a page_data body the page index cannot walk. No rule of this format's validity reports it.",
  },
  missing: { meaning: "An input in another format lacks a part the conversion needs (a dump-core file without a note or section Xen always writes)." },
  "out-of-range": { meaning: "A value of another format does not fit where the image must keep it (a 64-bit field of a dump-core file into 32 bits)." },
  "unknown-format": { meaning: "The input is in no format this tool knows." },
  json: { meaning: "JSON given to build an image (xenimage build) does not have the shape the image's schema gives." },
  internal: { meaning: "A bug: something escaped a decoder; the original error is the cause." },
} as const satisfies Record<string, ErrorCodeDoc>;

/** The codes of an `EncodeError`: what is wrong with the values to encode. */
export const ENCODE_ERROR_CODES = {
  "invalid-value": { meaning: "A value out of range for its field, of the wrong type or length, or missing; or a field value its rule does not allow (the same rules a reader checks)." },
  "unknown-section": { meaning: "A section type the format does not have." },
  "no-variant": { meaning: "No layout of the section fits the image's header (its arch, its guest type)." },
  "unknown-mandatory": { meaning: "An unknown section type without the optional bit: readers of the format would reject the image." },
  "end-entry": { meaning: "The end section given as a section: writers add it themselves." },
  alignment: { meaning: "An alignment that is not a power of two or is above 2 MiB, or not the registry's for a known type." },
  "optional-bit": { meaning: "An unknown section's type id collides with the optional bit, or a known type's optional bit is wrong." },
  "entry-shape": { meaning: "A body whose entry count and entry size are not what its section allows." },
  "invalid-schema": { meaning: "A schema model (reflection) that does not hold together: a reference to nothing, a container without its fields, a serialization of another version." },
  lossy: { meaning: "An image another format cannot carry without losing something the caller did not allow to lose." },
  "dump-core": { meaning: "An image a dump-core file cannot be made of (a piece Xen's dump-core needs is missing)." },
  ended: { meaning: "A stream encoder used after it ended." },
  complete: { meaning: "An image file writer given another section after its last one (its end section is written)." },
  finished: { meaning: "An image file writer used after it finished." },
  aborted: { meaning: "An image file writer used after it was aborted." },
  failed: { meaning: "A stream encoder used after its target failed." },
  internal: { meaning: "A bug: something escaped an encoder; the original error is the cause." },
} as const satisfies Record<string, ErrorCodeDoc>;

/** The code of a `DecodeError`. */
export type DecodeErrorCode = keyof typeof DECODE_ERROR_CODES;
/** The code of an `EncodeError`. */
export type EncodeErrorCode = keyof typeof ENCODE_ERROR_CODES;
/** Every code of every `XenImageError`. */
export type XenImageErrorCode = DecodeErrorCode | EncodeErrorCode;
