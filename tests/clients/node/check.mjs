// openai-node's Responses API against FakeAI: node check.mjs <base URL>. Prints one JSON line of what it saw.
import OpenAI from "openai";

const client = new OpenAI({ apiKey: "sk-test", baseURL: `${process.argv[2]}/v1`, maxRetries: 0 });
const weather = {
  type: "function",
  name: "get_weather",
  description: "Get the current weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
  strict: true,
};

const created = await client.responses.create({ model: "gpt-4o", input: "Tell me about tides." });
const retrieved = await client.responses.retrieve(created.id);

const kinds = [];
let streamed = "";
const stream = client.responses.stream({ model: "gpt-4o", input: "Hello there" });
for await (const event of stream) {
  kinds.push(event.type);
  if (event.type === "response.output_text.delta") streamed += event.delta;
}
const final = await stream.finalResponse();

const call = await client.responses.create({ model: "gpt-4o", input: "What's the weather in Lisbon?", tools: [weather] });
const followUp = await client.responses.create({
  model: "gpt-4o",
  tools: [weather],
  previous_response_id: call.id,
  input: [{ type: "function_call_output", call_id: call.output[0].call_id, output: "21 C, sunny" }],
});

console.log(JSON.stringify({
  text: created.output_text,
  retrieved: retrieved.output_text === created.output_text,
  first: kinds[0],
  last: kinds[kinds.length - 1],
  streamedMatches: streamed === final.output_text && streamed.length > 0,
  call: call.output[0].type,
  callName: call.output[0].name,
  followUp: followUp.output[0].type,
  cached: followUp.usage.input_tokens_details.cached_tokens,
}));
