import { prisma } from "../../../lib/prisma";

export const dynamic = "force-dynamic";

// Healthy means: the server answers, and Prisma finds and loads the query engine for the platform it detects
// here, which is the step a missing binary target breaks. Prisma's own loader does the work (platform detection,
// the engine search, dlopen); the error it raises is passed on as it is.
// No query is run: the sample has no database in the test bed, and its engine files come from a local mirror
// (docs/prisma.md).
export async function GET() {
  try {
    const engine = prisma._engine;
    await engine.libraryLoader.loadLibrary(engine.config);
    return Response.json({ status: "ok", service: "todo-frontend", prisma: "engine loaded" });
  } catch (error) {
    console.error(error);
    return Response.json(
      { status: "error", service: "todo-frontend", error: error?.name ?? "Error", message: String(error?.message ?? error) },
      { status: 500 },
    );
  }
}
