-- Notifications (issue 14.4): a warehouse upgraded from before the enqueue's watermark (0007) has no
-- mark, so its first enqueue would look at every fact ever ingested (1,232 s at 10 million orders,
-- docs/benchmarks.md). Before 0007, every full or incremental reconciliation enqueued the events of
-- every fact known at its as_of: seed the mark its enqueue would have left (tasks/notify/marks.py,
-- `leave`), from the latest such run. Only when there is no mark at all; nothing on a new warehouse.
insert into notification_enqueue_marks
with run as (
    select as_of, max_file_id from reconcile_runs where scope in ('full', 'incremental')
    order by as_of desc, run_id desc limit 1
), later as (  -- a file holding a fact ingested after the run's as_of was not (wholly) looked at
    select min(r.file_id) as f from feed_records r, run
    where r.file_id <= run.max_file_id and r.ingested_at > run.as_of
    union all select min(o.file_id) from orders o, run
    where o.file_id <= run.max_file_id and o.ingested_at > run.as_of
    union all select min(i.file_id) from inbound_files i, run
    where i.file_id <= run.max_file_id and i.received_at > run.as_of
)
select run.as_of,
       coalesce((select min(f) - 1 from later), run.max_file_id),
       (select coalesce(max(load_id), 0) from master_loads where loaded_at <= run.as_of),
       0  -- enqueued: not known (that enqueue left no count)
from run
where not exists (select 1 from notification_enqueue_marks);
