/**
 * Every kind of schema change `xenimage breaking` knows, with its class. One table: the engine reports
 * by these ids, the CLI's exit code follows their classes, and docs/breaking-changes.md lists them
 * (a test keeps the page and this table in step).
 *
 * The classes follow docs/versioning.md: a change is wire-breaking when a reader of one version could
 * misread or reject an image of the other (in either direction: today's readers read every earlier
 * version, and older readers go on reading newer writers' images unless format_version says
 * otherwise); source-breaking when the bytes stay readable both ways but the generated TypeScript
 * changes under its users; compatible otherwise.
 */

/** How a change affects the images already written and the code already compiled against the codecs. */
export type ChangeClass = "wire-breaking" | "source-breaking" | "compatible";

/** One kind of change: its class and what it means, as docs/breaking-changes.md shows it. */
export interface BreakingRule {
  readonly class: ChangeClass;
  readonly summary: string;
}

const wire = (summary: string): BreakingRule => ({ class: "wire-breaking", summary });
const source = (summary: string): BreakingRule => ({ class: "source-breaking", summary });
const compatible = (summary: string): BreakingRule => ({ class: "compatible", summary });

/** Every rule id, by area. */
export const BREAKING_RULES = {
  // The container and format_version.
  "format-version-raised": compatible("format_version went up: readers tell the versions apart, so the wire breaks found with it are versioned"),
  "format-version-lowered": wire("format_version went down: images of the released version claim a version this one calls later"),
  "entry-crc-since-changed": wire("entry_crc_since moved: readers check entry CRCs for a different set of versions"),
  "container-header-changed": wire("the container names another header struct, of another layout"),
  "container-entry-changed": wire("the container names another section-table entry struct, of another layout"),
  "container-end-changed": wire("the container's end section is another section"),

  // Sections.
  "section-id-changed": wire("a section kept its name but took another id: its images now read as another (or an unknown) section"),
  "section-id-reused": wire("an id now names another section with another layout: old images' sections decode as the new one"),
  "section-renamed": source("a section has a new name, with the same id and layout"),
  "section-moved": source("a section moved to another schema file: its codec moves to another generated module"),
  "section-made-mandatory": wire("a section's optional bit was cleared: the bit is on the wire (bit 31 of the type) and readers check it"),
  "section-made-optional": wire("a section's optional bit was set: the bit is on the wire (bit 31 of the type) and readers check it"),
  "section-align-changed": wire("a section's body alignment changed: readers check it for known types"),
  "section-since-changed": compatible("a section's since version changed (documentation)"),
  "section-body-changed": wire("a section's body changed kind (fields, array of entries, empty) or its entry size changed"),
  "section-body-reshaped": source("a section's body reads the same bytes in another shape (an array of entries ↔ a struct of one array counted by the table)"),
  "section-removed": wire("a mandatory section was removed: readers reject images that hold it (an unknown mandatory section)"),
  "optional-section-removed": source("an optional section was removed: readers skip it as unknown, its codec goes"),
  "mandatory-section-added": wire("a new mandatory section: older readers reject images that hold it"),
  "optional-section-added": compatible("a new optional section: older readers skip it"),
  "variant-removed": wire("a section lost the layout for some headers: images of those guests no longer read"),
  "variant-when-changed": wire("a section's layout is chosen for other header values"),
  "variant-added": compatible("a section gained a layout for header values no layout covered"),

  // Declarations (types: structs, enums, flags, bits).
  "type-removed": source("a type was removed from the generated API (where it was used, the wire change is reported there)"),
  "type-added": compatible("a new type"),
  "type-renamed": source("a type has a new name, with the same layout"),
  "type-moved": source("a type moved to another schema file: it moves to another generated module"),
  "type-kind-changed": wire("a type changed kind (struct, enum, flags, bits)"),
  "type-base-changed": wire("an enum's, flags' or bit-field word's integer type changed"),

  // Structs and their fields.
  "struct-size-changed": wire("a struct's size changed, or it became variable or fixed"),
  "field-offset-changed": wire("a field moved (its offset, or its place after a variable-size field, changed)"),
  "field-type-changed": wire("a field's type changed (width, signedness, kind, or another type of another layout)"),
  "field-type-renamed": source("a field now has another type of the same layout"),
  "field-bits-reshaped": source("a field's word is now read as bit-fields, or its bit-fields as one word, and every value stays valid"),
  "field-endian-changed": wire("a field's byte order changed"),
  "field-count-changed": wire("an array's, byte run's or string's count changed (its number, the field it reads, or its kind)"),
  "field-encoding-changed": wire("a string's encoding changed (ascii, utf8): one side rejects text the other writes"),
  "field-const-changed": wire("a magic value changed, or a field became or stopped being one"),
  "field-removed": wire("a field was removed: the bytes after it move, or the struct shrinks"),
  "field-added": wire("a field was added: the bytes after it move, or the struct grows"),
  "field-renamed": source("a field has a new name, at the same place with the same type"),
  "hidden-field-renamed": compatible("a field outside the TypeScript interface (padding, reserved, const, computed) has a new name"),
  "field-made-reserved": wire("a field became reserved (checked): readers reject the values earlier writers put there"),
  "field-hidden": source("a field left the TypeScript interface (it became reserved: ignore, or computed) with its bytes unchanged"),
  "field-shown": source("a field entered the TypeScript interface (it stopped being computed): code that builds values must set it"),
  "reserved-field-used": wire("a reserved (checked) field was given a meaning: older readers reject the non-zero values newer writers put there"),
  "ignored-field-used": source("a reserved: ignore field was given a meaning: older readers ignore it, but code that builds values must set it"),
  "reserved-tightened": wire("reserved: ignore became reserved (checked): readers reject non-zero values they used to ignore"),
  "reserved-loosened": compatible("reserved (checked) became reserved: ignore: writers still write zero, readers accept more"),
  "padding-changed": wire("padding or alignment bytes inside a struct changed"),
  "valid-tightened": wire("a valid: rule accepts fewer values: readers reject images earlier writers wrote"),
  "valid-loosened": wire("a valid: rule accepts more values: older readers reject images newer writers write (a new format_version, as for a closed enum)"),
  "repr-number": wire("a 64-bit field became repr: number: readers reject values above 2^53 − 1"),
  "repr-changed": source("a field's TypeScript representation changed (bigint, typed array) with the same bytes"),
  "doc-changed": compatible("documentation changed (doc, units, example)"),

  // Switch fields (tagged unions).
  "switch-selector-changed": wire("a switch reads its selector from another field"),
  "switch-size-changed": wire("a switch's size field was added, removed or changed"),
  "switch-fallback-changed": wire("what an unknown selector gets changed (its bytes kept, or an error)"),
  "switch-case-removed": wire("a switch lost a case: bodies with that selector no longer decode as before"),
  "switch-case-changed": wire("a switch case selects another struct, of another layout"),
  "switch-case-added": compatible("a switch gained a case, and older readers keep unknown cases as bytes"),
  "switch-case-added-closed": wire("a switch without a size field gained a case: older readers reject the selector"),

  // Enums, flags and bit fields.
  "enum-value-removed": wire("an enum value was removed"),
  "enum-value-renumbered": wire("an enum value kept its name but has another number"),
  "enum-value-renamed": source("an enum value has a new name for the same number"),
  "enum-value-added": compatible("an open enum gained a value: older readers keep values they do not know"),
  "closed-enum-value-added": wire("a closed enum gained a value: older readers reject it (a new format_version)"),
  "enum-closed": wire("an open enum became closed: readers reject values they used to keep"),
  "enum-opened": wire("a closed enum became open: newer writers may write values older readers reject"),
  "flag-moved": wire("a flag kept its name but names another bit"),
  "flag-renamed": source("a flag has a new name for the same bit"),
  "flag-removed": source("a flag was removed: readers keep the bit, its constant goes"),
  "flag-added": compatible("a flag was added: older readers keep bits they do not name"),
  "bit-field-moved": wire("a bit field covers other bits"),
  "bit-field-type-changed": wire("a bit field's enum changed"),
  "bit-field-removed": wire("a bit field was removed: its bits must now be zero"),
  "bit-field-added": wire("a bit field was added where bits had to be zero: older readers reject non-zero values"),
  "bit-field-renamed": source("a bit field has a new name for the same bits"),

  // Image-type rules.
  "rule-removed": wire("an image-type rule was removed: its images match no rule"),
  "rule-added": compatible("a new image-type rule, for images no rule covered"),
  "rule-renamed": source("an image-type rule has a new name, with the same content"),
  "rule-when-changed": wire("an image-type rule covers other images"),
  "rule-section-required": wire("a rule now requires a section: images written without it are rejected"),
  "rule-section-limited": wire("a rule allows a section fewer times (or forbids it): images written with it are rejected"),
  "rule-section-relaxed": wire("a rule allows a known section more often or no longer requires it: older readers reject such images"),
  "rule-order-tightened": wire("a rule orders sections it did not order"),
  "rule-order-loosened": wire("a rule no longer orders sections it ordered: older readers reject the orders newer writers may use"),
  "rule-phases-changed": wire("a rule's checkpoint phases changed (marker or the sections that repeat)"),
} as const satisfies Record<string, BreakingRule>;

/** A rule id. */
export type BreakingRuleId = keyof typeof BREAKING_RULES;
