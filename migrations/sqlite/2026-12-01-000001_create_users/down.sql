DROP TABLE daily_spend;
DROP TABLE api_keys;
DROP TABLE users;
