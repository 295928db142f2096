/**
 * The audit trail: one JSON object per line for every event the driver delivered,
 * with Elastic Common Schema (ECS 8.x) names written flat and dotted, size-rolled
 * ({@code audit.jsonl}, {@code audit.1.jsonl}, ... oldest deleted past the retention
 * count).
 *
 * <table>
 *   <caption>Fields</caption>
 *   <tr><th>field</th><th>value</th></tr>
 *   <tr><td>{@code @timestamp}</td><td>when the registry callback saw the operation (UTC)</td></tr>
 *   <tr><td>{@code event.kind}</td><td>{@code alert} when a rule blocked, audited or would have blocked; else
 *       {@code event}</td></tr>
 *   <tr><td>{@code event.category}</td><td>{@code ["registry"]}</td></tr>
 *   <tr><td>{@code event.type}</td><td>{@code ["creation"|"change"|"deletion"|"access"]} by operation
 *       class</td></tr>
 *   <tr><td>{@code event.action}</td><td>Sysmon's EventType name: CreateKey, SetValue, DeleteValue,
 *       RenameKey...</td></tr>
 *   <tr><td>{@code event.outcome}</td><td>{@code failure} when the caller got STATUS_ACCESS_DENIED,
 *       {@code unknown} when the driver applied its default with no agent request parked, else
 *       {@code success}</td></tr>
 *   <tr><td>{@code event.created}, {@code event.sequence}, {@code event.dataset}</td><td>audit time, the
 *       driver's sequence number (gaps are drops), {@code hiveguard.audit}</td></tr>
 *   <tr><td>{@code registry.hive/key/value/path}</td><td>Sysmon's spelling: HKLM, HKU\&lt;SID&gt;, HKCR,
 *       HKLM\System\CurrentControlSet</td></tr>
 *   <tr><td>{@code registry.data.type}</td><td>REG_SZ, REG_DWORD... (set-value only)</td></tr>
 *   <tr><td>{@code registry.data.strings}</td><td>string types as strings, numbers in decimal</td></tr>
 *   <tr><td>{@code registry.data.bytes}</td><td>the captured data, base64 (cut at the driver's data cap)</td></tr>
 *   <tr><td>{@code process.pid}, {@code process.thread.id}, {@code process.executable}, {@code user.id}</td>
 *       <td>the caller; executable and SID only when the driver knew them</td></tr>
 *   <tr><td>{@code rule.name}, {@code hiveguard.rule}</td><td>the matching rule (null: no rule, the
 *       default applied)</td></tr>
 *   <tr><td>{@code hiveguard.action}, {@code hiveguard.verdict}</td><td>the policy's action
 *       (allow/block/audit) and the verdict sent (allow/block, or none when the caller did not
 *       wait)</td></tr>
 *   <tr><td>{@code hiveguard.latency_us}</td><td>batch receipt to reply</td></tr>
 *   <tr><td>{@code hiveguard.would_block}, {@code hiveguard.truncated}, {@code hiveguard.default_applied},
 *       {@code hiveguard.kernel_caller}, {@code hiveguard.sequence}, {@code hiveguard.session_id},
 *       {@code hiveguard.event_id}, {@code hiveguard.new_name}, {@code hiveguard.data.original_size}</td>
 *       <td>HiveGuard's own detail</td></tr>
 * </table>
 *
 * <p>A graceful stop loses nothing; a crash loses at most the last flush interval and leaves at
 * most one partial last line, which {@link dev.hiveguard.audit.AuditReader} skips and reports.
 */
package dev.hiveguard.audit;
