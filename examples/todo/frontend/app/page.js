export default function Home() {
  return (
    <main>
      <h1>todo</h1>
      <p>The sample app that shipshape builds, loads and keeps healthy.</p>
    </main>
  );
}
