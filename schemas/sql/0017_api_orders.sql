-- The order API's intake arrives as files of kinds API_ORDERS and API_CANCELS (tasks/api_orders/export.py),
-- merged by the ORDERS and ORDER_CANCELS handlers: their rejected rows belong to the analysts' view of
-- order-file rejections too.
create or replace view order_file_rejections as
select f.file_id, f.name as file_name, f.kind, f.state as file_state, f.received_at,
       r.line_no, r.field, r.value, r.reason
from rejections r join inbound_files f using (file_id)
where f.kind in ('ORDERS', 'ORDER_CANCELS', 'API_ORDERS', 'API_CANCELS');
