import { PrismaClient } from "@prisma/client";

// Loading the client loads the query engine: a missing engine for the runtime's platform fails here with
// PrismaClientInitializationError, so the health check reports it.
export async function GET() {
  const prisma = new PrismaClient();
  await prisma.$connect();
  return Response.json({ status: "ok" });
}
