import { PrismaClient } from "@prisma/client";

const prisma = new PrismaClient();

export default async function Home() {
  const todos = await prisma.todo.findMany({ orderBy: { createdAt: "desc" } });
  return (
    <main>
      <h1>todo</h1>
      <ul>{todos.map((t) => <li key={t.id}>{t.done ? "✓ " : ""}{t.title}</li>)}</ul>
    </main>
  );
}
