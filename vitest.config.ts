import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // The compiler imports the runtime as a package (xenimage/reflect); in the repository's tests that
    // is the runtime's source, the same modules the tests import, not the build in dist/.
    alias: { "xenimage/reflect": fileURLToPath(new URL("./runtime/reflect/index.ts", import.meta.url)) },
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: one worker per core keeps memory-heavy tests from competing.
    maxWorkers: 2,
  },
});
