const table = document.getElementById('areas');
const body = table.tBodies[0];
document.getElementById('search').addEventListener('input', (e) => {
  const q = e.target.value.trim().toLowerCase();
  let shown = 0;
  for (const row of body.rows) {
    const hit = row.dataset.name.includes(q);
    row.hidden = !hit;
    if (hit) shown += 1;
  }
  document.getElementById('shown').textContent = shown;
});
table.querySelectorAll('th.sort').forEach((th, i) => {
  th.addEventListener('click', () => {
    const col = th.cellIndex;
    const numeric = th.dataset.type === 'num';
    const dir = th.dataset.dir === 'asc' ? -1 : 1;
    table.querySelectorAll('th.sort').forEach((h) => { delete h.dataset.dir; });
    th.dataset.dir = dir === 1 ? 'asc' : 'desc';
    const key = (row) => row.cells[col].dataset.v;
    const rows = Array.from(body.rows);
    rows.sort((a, b) => {
      const x = key(a), y = key(b);
      if (numeric) {
        if (x === '' && y === '') return 0;
        if (x === '') return 1;
        if (y === '') return -1;
        return dir * (parseFloat(x) - parseFloat(y));
      }
      return dir * x.localeCompare(y);
    });
    rows.forEach((r) => body.appendChild(r));
  });
});
