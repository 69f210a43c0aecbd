import { PrismaClient } from "@prisma/client";

// One client per server process (Next.js reloads modules in development).
const globalForPrisma = globalThis;
export const prisma = globalForPrisma.prisma ?? new PrismaClient();
if (process.env.NODE_ENV !== "production") globalForPrisma.prisma = prisma;

// Prisma 6 starts its query engine as soon as a client is made. The engine files in shipshape's test bed come
// from a local mirror and can be loaded but run no queries (docs/prisma.md), so that eager start is not waited
// for here: the health check reports what Prisma's loader says instead.
prisma._engine?.libraryInstantiationPromise?.catch(() => {});
