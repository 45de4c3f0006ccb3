// server/tsconfig.json maps "vscode" here: the language server must not use the vscode API (it runs outside the
// extension host, e.g. under the command line). Importing anything from "vscode" in server code fails to type-check.
export {};
