-- Inbox entries that were listed but could not be read or moved aside (a permission, a `processed`
-- path that is a file, a connection dropped mid-pull), one row per entry and pull. The pull goes on
-- with the other files; an entry still failing 2 hours after its first failure alerts, like an
-- unreachable source (tasks/sources/status.py).
create table inbox_entry_failures (
    source        varchar not null,           -- the inbox URL without credentials
    folder        varchar not null,
    name          varchar not null,
    attempted_at  timestamp not null,         -- the pull's as_of
    action        varchar not null,           -- read or move
    error         varchar not null
);

-- Entries failing in the latest pull of their source (up to t), failing since their first failure
-- after the last pull in which they did not fail.
create macro inbox_stuck_entries_as_of(t) as table
with pulls as (select distinct source, attempted_at from source_attempts where ok and attempted_at <= t),
fails as (select * from inbox_entry_failures where attempted_at <= t),
latest as (select source, max(attempted_at) as at from pulls group by source),
current as (
    select distinct f.source, f.folder, f.name
    from fails f join latest l on l.source = f.source and f.attempted_at = l.at
),
clean as (
    select c.source, c.folder, c.name, max(p.attempted_at) as clean_at
    from current c join pulls p on p.source = c.source
    where not exists (select 1 from fails f where f.source = c.source and f.folder = c.folder
                      and f.name = c.name and f.attempted_at = p.attempted_at)
    group by all
)
select c.source, c.folder, c.name, min(f.attempted_at) as failing_since,
       arg_max(f.action, f.attempted_at) as action, arg_max(f.error, f.attempted_at) as last_error
from current c
join fails f on f.source = c.source and f.folder = c.folder and f.name = c.name
left join clean k on k.source = c.source and k.folder = c.folder and k.name = c.name
where k.clean_at is null or f.attempted_at > k.clean_at
group by c.source, c.folder, c.name;

create view inbox_stuck_entries as
select * from inbox_stuck_entries_as_of('infinity'::timestamp) order by source, folder, name;
