/**
 * The text of `--help`: the global help and each command's own (`xenimage inspect --help`), one
 * source for both so they cannot drift apart.
 */

/** Each command's usage, as the global help lists it. */
export const COMMAND_USAGE: Readonly<Record<string, string>> = {
  inspect: `  inspect FILE [--json] [--skip-pages]
                                   the header and the section table, each body's CRC status, and the
                                   check of the sections against the image-type rule`,
  dump: `  dump FILE [--pages] [--section NAME…] [-o OUT]
                                   everything decoded, as JSON (64-bit integers as decimal strings,
                                   bytes as base64); page contents only with --pages. Written as it is
                                   read: on standard output an error leaves the JSON unterminated`,
  annotate: `  annotate FILE [--section NAME…] [--offset N --length N] [--elements N] [--json]
                                   an annotated hex dump: every byte with the field it belongs to (path,
                                   decoded value), padding and CRCs marked; reads only the header, the
                                   table entries and the selected sections (both layouts). FILE may also
                                   be a Xen libxc/libxl stream or xl save file (--section takes record
                                   types: page_data, x86_pv_info, …) or a dump-core file (--section takes
                                   ELF section names: .note.Xen, .xen_p2m, …). Arrays are shown element
                                   by element, at most N of each (default 256) from the --offset window
                                   on, the rest as summary ranges; pages one line each`,
  build: `  build JSON -o FILE               the inverse: dump --pages, then build, reproduces the image byte for byte`,
  verify: `  verify FILE [--json] [--skip-pages]
                                   structure, CRCs, every section's layout and the image-type rules;
                                   prints every problem. --skip-pages (inspect too): in a seekable
                                   image, check page_data frame lists only, not page contents or CRCs`,
  convert: `  convert IN OUT [--to FORMAT]     between the seekable and streamed layouts (without decoding; a stream
                                   becomes a save file as it arrives), and from or to Xen's formats:
                                   FORMAT is seekable, streamed, xen-libxc, xen-libxl, xen-xl or
                                   dump-core; IN may be a Xen libxc/libxl stream, an xl save file or a
                                   dump-core file (detected); default: the other layout, or seekable
          [--xen-version 2|3]      the libxc stream version a Xen format gets (default 3, or the
                                   version of the stream the image was imported from)
          [--xenimage-record]      add xenimage's XENIMAGE record, so converting back gives the image
                                   exactly; a libxc or libxl stream with it fails Xen's verify-stream-v2`,
  pages: `  pages FILE [--pfn N…] [-o DIR] [--json]
                                   list the guest's pages (pfn, type, section), or extract them to DIR;
                                   a listing reads the frame lists only (verify checks the CRCs), an
                                   extracted page comes from a section whose CRC checks out`,
  receive: `  receive --listen HOST:PORT --out DIR [--max N] [--count N] [--idle-timeout S] [--no-sync] [--json]
                                   receive migration streams over TCP, up to N at once (default 8), each
                                   into its own seekable image in DIR named NAME-domID-TIME-SEQ.img; one
                                   line per migration that ended; stops on SIGINT/SIGTERM or after
                                   --count migrations, closing those under way (they leave no file)`,
  demo: `  demo [--out DIR]                 write save images of synthetic PV x86_64, PV x86_32, HVM x86_64 and
                                   ARM guests and a core image to DIR (default: demo), and inspect each`,
  breaking: `  breaking --against REF [--schemas DIR] [--json] [--all]
                                   compare the schemas (DIR, default schema) with a released version's:
                                   REF is a folder of schemas, or a git revision whose DIR is read
                                   (a folder of that name wins); every change is wire-breaking,
                                   source-breaking or compatible, each named at file:line:col in both
                                   versions (docs/breaking-changes.md lists the rules). --all also lists
                                   the compatible changes; --json prints every finding as a JSON array
                                   (for maintainers; needs the package @xenimage/compiler)`,
  generate: `  generate [--check]               compile schema/*.yaml into generated/ and docs/ (for maintainers;
                                   needs the package @xenimage/compiler)`,
  docs: `  docs                             regenerate the documentation only (likewise)`,
};

/** The global help: every command, then the common options and the exit codes. */
export const HELP = `usage: xenimage <command> [options]

Commands:
${Object.values(COMMAND_USAGE).join("\n")}

FILE may be - for standard input; -o - writes to standard output. inspect, verify, dump and pages
read an image a section at a time, in bounded memory whatever its size (a seekable image on standard
input is first copied to a temporary file).

Options:
  --json      machine-readable output (64-bit integers as decimal strings)
  --debug     print stack traces of unexpected errors
  -h, --help  this help
  --version   the version; with --json also the Node version and the CRC32C kernel in use
              (native, or js with the reason: XENIMAGE_CRC=js forces js)

Exit codes:
  0  success
  1  invalid image (bad magic, CRC mismatch, truncated, a broken image-type rule) or invalid JSON
  2  usage error
  3  I/O error (missing file, a directory, no permission, a full disk)
  4, 5, 6  breaking only: see 'xenimage breaking --help'
  129, 130, 143  interrupted by SIGHUP, SIGINT or SIGTERM (files being written are removed)
  141            standard output closed by its reader (| head): output cut short, no message`;

/** What a command's own help adds after its usage: exit codes that differ from the common ones. */
const COMMAND_NOTES: Readonly<Record<string, string>> = {
  breaking: `
Exit codes:
  0  no wire-breaking or source-breaking change (compatible changes only, or none)
  1  a wire-breaking change without a new format_version: CI fails on it
  2  usage error (REF neither a folder nor a git revision, not in a git repository, no compiler)
  3  I/O error (a schema folder or file that cannot be read)
  4  source-breaking changes only: the generated TypeScript API changed, the bytes did not
  5  wire-breaking changes, all under a raised format_version (readers tell the versions apart)
  6  the schemas of either version have problems (printed as file:line:col diagnostics)
`,
};

/** A command's own help: its usage, then the options every command takes. */
export function commandHelp(command: string): string {
  return `usage: xenimage ${(COMMAND_USAGE[command] ?? command).replace(/^  /, "")}
${COMMAND_NOTES[command] ?? ""}
Options of every command:
  --debug     print stack traces of unexpected errors
  -h, --help  this help

Run 'xenimage --help' for every command, the exit codes and what FILE may be.`;
}
